using System.Net;
using FastBridge.Diagnostics;
using FastBridge.Frames;
using FastBridge.Ports.Vxlan;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Ports.Vxlan;

/// <summary>
/// VxlanPort against plain UDP sockets on loopback: RFC 7348 encapsulation, decapsulation, the remote table (learning,
/// unicast to one remote, head-end replication, static entries), VLAN-to-VNI mapping and the MTU limit.
/// </summary>
public sealed class VxlanPortTests
{
    private static readonly MacAddress s_hostA = MacAddress.Parse("02:00:00:00:0a:01");
    private static readonly MacAddress s_hostB = MacAddress.Parse("02:00:00:00:0b:01");
    private static readonly IPAddress s_remoteB = IPAddress.Parse("127.0.0.2");
    private static readonly IPAddress s_remoteC = IPAddress.Parse("127.0.0.3");

    [Fact]
    public void A_frame_leaves_in_rfc7348_encapsulation_with_a_flow_hashed_source_port()
    {
        using var rig = new VxlanLoopbackRig();
        byte[] frame = FrameBuilder.Untagged(s_hostB, s_hostA, payloadLength: 100);

        Assert.Equal([DropReason.None], rig.Transmit(frame));

        var (payload, from) = VxlanLoopbackRig.Next(rig.Peer(s_remoteB)) ?? throw new Xunit.Sdk.XunitException("nothing arrived");
        Assert.Equal(new byte[] { 0x08, 0, 0, 0, 0, 0, 42, 0 }, payload[..8]);
        Assert.Equal(frame, payload[8..]);
        Assert.Equal(VxlanLoopbackRig.Local, from.Address);
        if (rig.VxlanPort.HashesSourcePort)
        {
            Assert.InRange(from.Port, 32768, 60999);
        }
    }

    [Fact]
    public void Unknown_unicast_and_broadcast_go_to_every_remote()
    {
        using var rig = new VxlanLoopbackRig();

        Assert.Equal([DropReason.None, DropReason.None], rig.Transmit(FrameBuilder.Untagged(s_hostB, s_hostA), FrameBuilder.Untagged(MacAddress.Broadcast, s_hostA)));

        foreach (IPAddress remote in new[] { s_remoteB, s_remoteC })
        {
            Assert.NotNull(VxlanLoopbackRig.Next(rig.Peer(remote)));
            Assert.NotNull(VxlanLoopbackRig.Next(rig.Peer(remote)));
        }

        Assert.All(rig.VxlanPort.RemoteInfo(), r => Assert.Equal(2, r.DatagramsSent));
    }

    [Fact]
    public void A_decapsulated_frame_teaches_its_source_behind_its_vtep_and_unicast_then_goes_there_only()
    {
        using var rig = new VxlanLoopbackRig();
        byte[] fromB = FrameBuilder.Untagged(s_hostA, s_hostB, payloadLength: 60);
        rig.SendFrom(s_remoteB, VxlanLoopbackRig.Encapsulate(fromB, 42));

        List<byte[]> got = rig.ReceiveUntil(1);

        Assert.Equal(fromB, Assert.Single(got));
        VxlanFdbEntry entry = Assert.Single(rig.VxlanPort.Entries());
        Assert.Equal((s_hostB, 42, s_remoteB, false), (entry.Mac, entry.Vni, entry.Remote, entry.IsStatic));

        Assert.Equal([DropReason.None], rig.Transmit(FrameBuilder.Untagged(s_hostB, s_hostA)));
        Assert.NotNull(VxlanLoopbackRig.Next(rig.Peer(s_remoteB)));
        Assert.Null(VxlanLoopbackRig.Next(rig.Peer(s_remoteC), timeoutMs: 200));
        Assert.Equal([(s_remoteB, 1L), (s_remoteC, 0L)], rig.VxlanPort.RemoteInfo().Select(r => (r.Address, r.DatagramsSent)));
    }

    [Fact]
    public void A_static_entry_names_a_remote_and_learning_does_not_move_it()
    {
        using var rig = new VxlanLoopbackRig();
        IPAddress elsewhere = IPAddress.Parse("127.0.0.9");
        rig.Peer(elsewhere);
        rig.VxlanPort.AddStaticEntry(s_hostB, elsewhere);
        rig.ReceiveUntil(0); // the owner applies queued edits on its next pass

        rig.SendFrom(s_remoteB, VxlanLoopbackRig.Encapsulate(FrameBuilder.Untagged(s_hostA, s_hostB), 42));
        Assert.Single(rig.ReceiveUntil(1));

        VxlanFdbEntry entry = Assert.Single(rig.VxlanPort.Entries());
        Assert.Equal((s_hostB, elsewhere, true), (entry.Mac, entry.Remote, entry.IsStatic));
        rig.Transmit(FrameBuilder.Untagged(s_hostB, s_hostA));
        Assert.NotNull(VxlanLoopbackRig.Next(rig.Peer(elsewhere)));
        Assert.Contains(rig.VxlanPort.RemoteInfo(), r => r.Address.Equals(elsewhere) && !r.Flooded);

        rig.VxlanPort.RemoveEntry(s_hostB);
        rig.ReceiveUntil(0);
        Assert.Empty(rig.VxlanPort.Entries());
    }

    [Fact]
    public void A_vlan_map_carries_each_vlan_untagged_in_its_vni_and_tags_it_again_on_the_way_in()
    {
        using var rig = new VxlanLoopbackRig(o => o with { Vni = null, VlanMap = new Dictionary<int, int> { [10] = 1010, [20] = 1020 } }, remoteCount: 1);
        byte[] tagged = FrameBuilder.Tagged(s_hostB, s_hostA, 20, payloadLength: 80);
        byte[] untaggedInner = FrameBuilder.Untagged(s_hostB, s_hostA, payloadLength: 80);

        Assert.Equal([DropReason.None, DropReason.VxlanUnmappedVlan, DropReason.VxlanUnmappedVlan],
            rig.Transmit(tagged, FrameBuilder.Tagged(s_hostB, s_hostA, 30), FrameBuilder.Untagged(s_hostB, s_hostA)));

        var (payload, _) = VxlanLoopbackRig.Next(rig.Peer(s_remoteB))!.Value;
        Assert.Equal(1020, (payload[4] << 16) | (payload[5] << 8) | payload[6]);
        Assert.Equal(untaggedInner, payload[8..]);

        rig.SendFrom(s_remoteB, VxlanLoopbackRig.Encapsulate(FrameBuilder.Untagged(s_hostA, s_hostB, payloadLength: 80), 1010));
        byte[] inner = Assert.Single(rig.ReceiveUntil(1));
        Assert.Equal(FrameBuilder.Tagged(s_hostA, s_hostB, 10, payloadLength: 80), inner);
        Assert.Equal(10, Assert.Single(rig.VxlanPort.Entries()).Vlan);
    }

    [Fact]
    public void An_inner_frame_over_the_underlay_mtu_less_the_encapsulation_is_dropped_and_counted()
    {
        using var rig = new VxlanLoopbackRig(o => o with { UnderlayMtu = 1000 });
        Assert.Equal(1000 - 36, rig.VxlanPort.MaxInnerFrame);
        byte[] fits = FrameBuilder.Untagged(s_hostB, s_hostA, payloadLength: 1000 - 50);
        byte[] over = FrameBuilder.Untagged(s_hostB, s_hostA, payloadLength: 1000 - 50 + 1);

        Assert.Equal([DropReason.None, DropReason.VxlanOverMtu], rig.Transmit(fits, over));
    }

    [Fact]
    public void Without_remotes_a_flood_has_nowhere_to_go()
    {
        using var rig = new VxlanLoopbackRig(remoteCount: 0);
        Assert.Equal([DropReason.VxlanNoRemote], rig.Transmit(FrameBuilder.Untagged(MacAddress.Broadcast, s_hostA)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(1 << 24)]
    public void Bad_vnis_are_refused_at_open(int vni) =>
        Assert.Throws<ArgumentException>(() => VxlanPort.Open("vx0", new VxlanPortOptions { Vni = vni, Local = VxlanLoopbackRig.Local, UnderlayMtu = 1500 }));

    [Fact]
    public void Mixed_address_families_are_refused_at_open() =>
        Assert.Throws<ArgumentException>(() => VxlanPort.Open("vx0", new VxlanPortOptions { Vni = 1, Local = VxlanLoopbackRig.Local, Remotes = [IPAddress.IPv6Loopback], UnderlayMtu = 1500 }));
}
