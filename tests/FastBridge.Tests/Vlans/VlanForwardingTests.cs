using FastBridge.Diagnostics;
using FastBridge.Frames;
using FastBridge.Tests.Infrastructure;
using static FastBridge.Tests.Vlans.VlanScenario;

namespace FastBridge.Tests.Vlans;

/// <summary>Access, trunk and native VLANs on a running bridge: who gets which frame, tagged how.</summary>
public sealed class VlanForwardingTests
{
    private static MacAddress A => Stations.Address(1);
    private static MacAddress B => Stations.Address(2);
    private static MacAddress C => Stations.Address(3);

    /// <summary>p0: access 10, p1: access 20, p2: trunk 10,20, p3: access 10.</summary>
    private static BridgeHarness TwoVlans(int workers = 2)
    {
        var h = new BridgeHarness(4, workers);
        Access(h, 0, 10);
        Access(h, 1, 20);
        Trunk(h, 2, "10,20");
        Access(h, 3, 10);
        return h;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Broadcast_from_an_access_port_stays_in_its_vlan_and_is_tagged_on_the_trunk(int workers)
    {
        using BridgeHarness h = TwoVlans(workers);
        h.Inject(0, BridgeHarness.Frame(MacAddress.Broadcast, A, mark: 5));
        h.Settle();

        Assert.Empty(h.Drain(1));                                  // VLAN 20: never
        FrameInfo onTrunk = Parse(Assert.Single(h.Drain(2)));
        Assert.Equal(1, onTrunk.TagCount);
        Assert.Equal(10, onTrunk.VlanId);
        Assert.Equal(FrameParser.TpidDot1Q, onTrunk.OuterTpid);
        FrameInfo onAccess = Parse(Assert.Single(h.Drain(3)));     // same VLAN, untagged
        Assert.Equal(0, onAccess.TagCount);
        Assert.Equal(1, Count(h, 0, Counter.VlanCopies));          // the trunk's tagged form and the access port's untagged one differ
        AssertExactAccounting(h);
    }

    [Fact]
    public void Tagged_frame_from_the_trunk_reaches_only_its_vlan_untagged_with_payload_intact()
    {
        using BridgeHarness h = TwoVlans();
        byte[] sent = FrameBuilder.Tagged(MacAddress.Broadcast, C, vid: 20, pcp: 5, payloadLength: 100, seed: 3);
        h.Inject(2, sent);
        h.Settle();

        Assert.Empty(h.Drain(0));
        Assert.Empty(h.Drain(3));
        byte[] got = Assert.Single(h.Drain(1));
        Assert.Equal(sent.Length - 4, got.Length);
        Assert.Equal(sent.AsSpan(0, 12).ToArray(), got.AsSpan(0, 12).ToArray());
        Assert.Equal(sent.AsSpan(16).ToArray(), got.AsSpan(12).ToArray());
        Assert.Equal(0, Count(h, 2, Counter.VlanCopies));          // one output, popped in place
        AssertExactAccounting(h);
    }

    [Fact]
    public void Unicast_is_learned_and_looked_up_per_vlan()
    {
        using BridgeHarness h = TwoVlans();
        h.Inject(3, BridgeHarness.Frame(MacAddress.Broadcast, B));                  // B in VLAN 10 behind p3
        h.Inject(2, FrameBuilder.Tagged(MacAddress.Broadcast, B, vid: 20));          // and in VLAN 20 behind the trunk
        h.Settle();
        DrainAll(h);
        Assert.Equal(3, h.Bridge.MacTable.Lookup(B.Value, 10));
        Assert.Equal(2, h.Bridge.MacTable.Lookup(B.Value, 20));

        h.Inject(0, BridgeHarness.Frame(B, A, mark: 1));                              // VLAN 10: to p3
        h.Inject(1, BridgeHarness.Frame(B, C, mark: 2));                              // VLAN 20: to the trunk, tagged
        h.Settle();

        Assert.Equal(1, Assert.Single(h.Drain(3))[14]);
        FrameInfo tagged = Parse(Assert.Single(h.Drain(2)));
        Assert.Equal(20, tagged.VlanId);
        Assert.Empty(h.Drain(0));
        Assert.Empty(h.Drain(1));
        AssertExactAccounting(h);
    }

    [Fact]
    public void Foreign_tags_are_filtered_on_access_and_trunk_ports_and_counted()
    {
        using BridgeHarness h = TwoVlans();
        h.Inject(0, FrameBuilder.Tagged(MacAddress.Broadcast, A, vid: 20));  // access 10 gets a VLAN 20 tag
        h.Inject(2, FrameBuilder.Tagged(MacAddress.Broadcast, C, vid: 30));  // trunk does not carry 30
        h.Inject(2, BridgeHarness.Frame(MacAddress.Broadcast, C));           // untagged on a trunk without native VLAN
        h.Settle();

        for (int p = 0; p < 4; p++)
        {
            Assert.Empty(h.Drain(p));
        }

        Assert.Equal(1, Dropped(h, 0, DropReason.VlanFiltered));
        Assert.Equal(2, Dropped(h, 2, DropReason.VlanFiltered));
        Assert.Equal(0, h.Bridge.MacTable.Count);                            // nothing learned from a filtered frame
        AssertExactAccounting(h);
    }

    [Fact]
    public void Access_port_accepts_its_own_vid_and_priority_tags_and_keeps_the_pcp_towards_the_trunk()
    {
        using BridgeHarness h = TwoVlans();
        h.Inject(0, FrameBuilder.Tagged(MacAddress.Broadcast, A, vid: 10, pcp: 6));
        h.Inject(0, FrameBuilder.Tagged(MacAddress.Broadcast, A, vid: 0, pcp: 3)); // priority-tagged: counts as untagged
        h.Settle();

        List<byte[]> trunk = h.Drain(2);
        Assert.Equal(2, trunk.Count);
        Assert.All(trunk, f => Assert.Equal(10, Parse(f).VlanId));
        Assert.Equal(6, Parse(trunk[0]).Priority);
        Assert.Equal(3, Parse(trunk[1]).Priority);                            // VID rewritten, PCP kept
        Assert.All(h.Drain(3), f => Assert.Equal(0, Parse(f).TagCount));      // popped for the other access port
        Assert.Empty(h.Drain(1));
        Assert.Equal(0, Dropped(h, 0, DropReason.VlanFiltered));
        AssertExactAccounting(h);
    }

    [Fact]
    public void Native_vlan_is_carried_untagged_on_the_trunk_and_accepted_untagged()
    {
        using var h = new BridgeHarness(3);
        Access(h, 0, 10);
        Access(h, 1, 20);
        Trunk(h, 2, "20", native: 10);
        h.Inject(0, BridgeHarness.Frame(MacAddress.Broadcast, A, mark: 4));
        h.Inject(2, BridgeHarness.Frame(MacAddress.Broadcast, C, mark: 8));   // untagged on the trunk: native VLAN 10
        h.Settle();

        FrameInfo onTrunk = Parse(Assert.Single(h.Drain(2)));
        Assert.Equal(0, onTrunk.TagCount);
        byte[] toAccess = Assert.Single(h.Drain(0));
        Assert.Equal(8, toAccess[14]);
        Assert.Empty(h.Drain(1));
        Assert.Equal(2, h.Bridge.MacTable.Lookup(C.Value, 10));
        AssertExactAccounting(h);
    }

    [Fact]
    public void Qinq_frames_on_a_trunk_are_switched_by_their_outer_tag_and_keep_both_tags_between_trunks()
    {
        using var h = new BridgeHarness(3);
        Trunk(h, 0, "100");
        Trunk(h, 1, "100");
        Access(h, 2, 100);
        byte[] sent = FrameBuilder.Build(MacAddress.Broadcast, A, [VlanTag.Dot1ad(100, pcp: 2), VlanTag.Dot1Q(7)], FrameBuilder.EtherTypeIpv4);
        h.Inject(0, sent);
        h.Settle();

        Assert.Equal(sent, Assert.Single(h.Drain(1)));                        // trunk to trunk: untouched
        FrameInfo atAccess = Parse(Assert.Single(h.Drain(2)));                // outer S-tag popped, the C-tag stays
        Assert.Equal(1, atAccess.TagCount);
        Assert.Equal(FrameParser.TpidDot1Q, atAccess.OuterTpid);
        Assert.Equal(7, atAccess.VlanId);
        Assert.Equal(0, h.Bridge.MacTable.Lookup(A.Value, 100));
        AssertExactAccounting(h);
    }

    [Fact]
    public void Vlan_transparent_ports_keep_todays_behaviour_next_to_vlan_ports()
    {
        using var h = new BridgeHarness(4);
        Access(h, 0, 10);                                                      // p1, p2, p3: none
        byte[] tagged = FrameBuilder.Tagged(MacAddress.Broadcast, C, vid: 10, pcp: 1);
        h.Inject(1, BridgeHarness.Frame(MacAddress.Broadcast, B));            // untagged: VLAN 0, transparent ports only
        h.Inject(1, tagged);                                                   // tag 10: to the access port too
        h.Settle();

        Assert.Equal(0, Parse(Assert.Single(h.Drain(0))).TagCount);
        Assert.Equal(2, h.Drain(2).Count);
        List<byte[]> p3 = h.Drain(3);
        Assert.Equal(tagged, p3[1]);                                           // untouched between transparent ports

        h.Inject(0, BridgeHarness.Frame(MacAddress.Broadcast, A));            // from the access port: tagged 10 on transparent ports
        h.Settle();
        Assert.All(new[] { 1, 2, 3 }, p => Assert.Equal(10, Parse(Assert.Single(h.Drain(p))).VlanId));
        AssertExactAccounting(h);
    }
}
