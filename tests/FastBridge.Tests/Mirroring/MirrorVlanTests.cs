using FastBridge.Diagnostics;
using FastBridge.Frames;
using FastBridge.Switching;
using FastBridge.Tests.Infrastructure;
using static FastBridge.Tests.Mirroring.MirrorScenario;
using static FastBridge.Tests.Vlans.VlanScenario;

namespace FastBridge.Tests.Mirroring;

/// <summary>Mirrors and VLANs: <c>--vlan</c> selects one VLAN; rx copies are the frames as they arrived, tx copies as they left.</summary>
public sealed class MirrorVlanTests
{
    private static MacAddress A => Stations.Address(1);
    private static MacAddress B => Stations.Address(2);

    [Fact]
    public void A_vlan_mirror_copies_only_the_frames_of_its_vlan()
    {
        using var h = new BridgeHarness(4);
        Trunk(h, 0, "10,20");
        Trunk(h, 1, "10,20");
        AddMirror(h, "m", [0], 3, MirrorDirection.Rx, vlan: 10);
        h.Inject(0, FrameBuilder.Tagged(MacAddress.Broadcast, A, 10, seed: 1));
        h.Inject(0, FrameBuilder.Tagged(MacAddress.Broadcast, A, 20, seed: 2));
        h.Inject(0, FrameBuilder.Tagged(MacAddress.Broadcast, A, 30, seed: 3)); // vlan-filtered: never mirrored
        h.Settle();

        byte[] copy = Assert.Single(h.Drain(3));
        Assert.Equal(10, Parse(copy).VlanId);
        Assert.Equal(2, h.Drain(1).Count);
        Assert.Equal(1, Dropped(h, 0, DropReason.VlanFiltered));
        AssertExactAccounting(h);
    }

    [Fact]
    public void Rx_copies_keep_the_frame_as_it_came_while_the_real_frame_is_retagged_for_its_port()
    {
        using var h = new BridgeHarness(3);
        Access(h, 0, 10);
        Trunk(h, 1, "10");
        AddMirror(h, "m", [0], 2, MirrorDirection.Rx);
        byte[] sent = BridgeHarness.Frame(MacAddress.Broadcast, A, mark: 1);
        h.Inject(0, sent);
        h.Inject(1, FrameBuilder.Tagged(MacAddress.Broadcast, B, 10, seed: 2));
        h.Settle();
        h.Inject(0, BridgeHarness.Frame(B, A, mark: 3)); // known unicast: tagged in place unless a mirror shares it
        h.Settle();

        List<byte[]> copies = h.Drain(2);
        Assert.Equal(2, copies.Count);
        Assert.Equal(sent, copies[0]);
        Assert.All(copies, c => Assert.Equal(0, Parse(c).TagCount));
        List<byte[]> onTrunk = h.Drain(1);
        Assert.Equal(2, onTrunk.Count);
        Assert.All(onTrunk, f => Assert.Equal(10, Parse(f).VlanId));
        AssertExactAccounting(h);
    }

    [Fact]
    public void Tx_copies_are_the_frames_as_tagged_for_the_source_port_and_match_its_vlan()
    {
        using var h = new BridgeHarness(4);
        Access(h, 0, 10);
        Trunk(h, 1, "10,20");
        Access(h, 2, 20);
        AddMirror(h, "m10", [1], 3, MirrorDirection.Tx, vlan: 10);
        h.Inject(0, BridgeHarness.Frame(MacAddress.Broadcast, A, mark: 1)); // VLAN 10: leaves p1 tagged 10
        h.Inject(2, BridgeHarness.Frame(MacAddress.Broadcast, B, mark: 2)); // VLAN 20: leaves p1 tagged 20, not selected
        h.Settle();

        byte[] copy = Assert.Single(h.Drain(3));
        Assert.Equal(1, Parse(copy).TagCount);
        Assert.Equal(10, Parse(copy).VlanId);
        Assert.Equal(1, copy[18]);
        AssertExactAccounting(h);
    }

    [Fact]
    public void A_tx_mirror_of_an_access_port_selects_its_vlan_though_its_frames_leave_untagged()
    {
        using var h = new BridgeHarness(3);
        Access(h, 0, 10);
        Access(h, 1, 10);
        AddMirror(h, "m", [1], 2, MirrorDirection.Tx, vlan: 10);
        h.Inject(0, BridgeHarness.Frame(MacAddress.Broadcast, A, mark: 1));
        h.Settle();

        Assert.Equal(0, Parse(Assert.Single(h.Drain(2))).TagCount);
    }
}
