using FastBridge.Capture;
using FastBridge.Frames;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Capture;

public sealed class CaptureFilterTests
{
    private static readonly MacAddress s_a = Stations.Address(1);
    private static readonly MacAddress s_b = Stations.Address(2);
    private static readonly MacAddress s_c = Stations.Address(3);

    [Fact]
    public void An_empty_filter_takes_every_frame_of_every_port_even_runts()
    {
        var filter = new CaptureFilter(8);
        Assert.True(filter.IsEverything);
        Assert.True(filter.Matches(7, FrameBuilder.Untagged(s_b, s_a)));
        Assert.True(filter.Matches(0, new byte[3]));
    }

    [Fact]
    public void Ports_take_only_the_listed_ids()
    {
        var filter = new CaptureFilter(8, ports: [1, 3]);
        Assert.True(filter.Watches(1));
        Assert.True(filter.Watches(3));
        Assert.False(filter.Watches(2));
        Assert.False(filter.Watches(9));
        Assert.False(filter.Matches(2, FrameBuilder.Untagged(s_b, s_a)));
        Assert.True(filter.Matches(3, FrameBuilder.Untagged(s_b, s_a)));
    }

    [Fact]
    public void Mac_matches_source_or_destination()
    {
        var filter = new CaptureFilter(8, mac: s_a);
        Assert.True(filter.Matches(0, FrameBuilder.Untagged(s_b, s_a)));
        Assert.True(filter.Matches(0, FrameBuilder.Untagged(s_a, s_b)));
        Assert.False(filter.Matches(0, FrameBuilder.Untagged(s_c, s_b)));
        Assert.False(filter.Matches(0, new byte[13])); // a runt has no addresses
    }

    [Fact]
    public void Vlan_is_the_outer_tag_or_the_ports_untagged_vlan()
    {
        int[] untagged = new int[8];
        untagged[2] = 10; // port 2: access VLAN 10
        var filter = new CaptureFilter(8, vlan: 10, untaggedVlan: untagged);
        Assert.True(filter.Matches(0, FrameBuilder.Tagged(s_b, s_a, 10)));
        Assert.False(filter.Matches(0, FrameBuilder.Tagged(s_b, s_a, 20)));
        Assert.True(filter.Matches(2, FrameBuilder.Untagged(s_b, s_a)));
        Assert.False(filter.Matches(1, FrameBuilder.Untagged(s_b, s_a)));
        Assert.True(filter.Matches(0, FrameBuilder.Build(s_b, s_a, [VlanTag.Dot1ad(10), VlanTag.Dot1Q(99)], FrameBuilder.EtherTypeIpv4)));
        Assert.False(filter.Matches(0, FrameBuilder.Build(s_b, s_a, [VlanTag.Dot1ad(99), VlanTag.Dot1Q(10)], FrameBuilder.EtherTypeIpv4)));
        Assert.True(new CaptureFilter(8, vlan: 0).Matches(5, FrameBuilder.Untagged(s_b, s_a))); // a transparent port's untagged frames are VLAN 0
    }

    [Fact]
    public void Ethertype_matches_the_outer_type_or_the_type_after_the_tags()
    {
        byte[] taggedIpv4 = FrameBuilder.Tagged(s_b, s_a, 10, etherType: FrameBuilder.EtherTypeIpv4);
        Assert.True(new CaptureFilter(8, etherType: 0x0800).Matches(0, taggedIpv4));
        Assert.True(new CaptureFilter(8, etherType: 0x8100).Matches(0, taggedIpv4));
        Assert.False(new CaptureFilter(8, etherType: 0x0806).Matches(0, taggedIpv4));
        Assert.True(new CaptureFilter(8, etherType: 0x0806).Matches(0, FrameBuilder.Untagged(s_b, s_a, etherType: 0x0806)));
        byte[] qinq = FrameBuilder.Build(s_b, s_a, [VlanTag.Dot1ad(1), VlanTag.Dot1Q(2)], 0x86dd);
        Assert.True(new CaptureFilter(8, etherType: 0x86dd).Matches(0, qinq));
    }

    [Fact]
    public void All_conditions_must_match()
    {
        var filter = new CaptureFilter(8, ports: [1], vlan: 10, mac: s_a, etherType: 0x0800);
        Assert.False(filter.IsEverything);
        Assert.True(filter.Matches(1, FrameBuilder.Tagged(s_b, s_a, 10)));
        Assert.False(filter.Matches(0, FrameBuilder.Tagged(s_b, s_a, 10)));
        Assert.False(filter.Matches(1, FrameBuilder.Tagged(s_b, s_c, 10)));
        Assert.False(filter.Matches(1, FrameBuilder.Tagged(s_b, s_a, 11)));
        Assert.False(filter.Matches(1, FrameBuilder.Tagged(s_b, s_a, 10, etherType: 0x0806)));
    }
}
