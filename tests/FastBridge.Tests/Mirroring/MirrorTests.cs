using FastBridge.Diagnostics;
using FastBridge.Frames;
using FastBridge.Switching;
using FastBridge.Tests.Infrastructure;
using static FastBridge.Tests.Mirroring.MirrorScenario;
using static FastBridge.Tests.Vlans.VlanScenario;

namespace FastBridge.Tests.Mirroring;

/// <summary>Port mirrors on a running bridge: the output port sees exactly the selected frames, and nothing else changes.</summary>
public sealed class MirrorTests
{
    private static MacAddress A => Stations.Address(1);
    private static MacAddress B => Stations.Address(2);
    private static MacAddress C => Stations.Address(3);

    [Fact]
    public void An_rx_mirror_copies_exactly_the_frames_received_on_its_source_byte_for_byte()
    {
        using var h = new BridgeHarness(4);
        AddMirror(h, "m", [0], 3, MirrorDirection.Rx);
        byte[] fromA = BridgeHarness.Frame(MacAddress.Broadcast, A, mark: 1);
        h.Inject(0, fromA);
        h.Inject(1, BridgeHarness.Frame(MacAddress.Broadcast, B, mark: 2));
        h.Settle();
        h.Inject(0, BridgeHarness.Frame(B, A, mark: 3)); // known unicast p0 -> p1
        h.Inject(2, BridgeHarness.Frame(A, C, mark: 4)); // sent by p0, not received: not in an rx mirror
        h.Settle();

        List<byte[]> copies = h.Drain(3);
        Assert.Equal([1, 3], Marks(copies));
        Assert.Equal(fromA, copies[0]);
        Assert.Equal([2, 4], Marks(h.Drain(0)));
        Assert.Equal([1, 3], Marks(h.Drain(1)));
        Assert.Equal(2, Count(h, 0, Counter.Mirrored));
        Assert.Equal(2, h.Bridge.ReadCounters()["p3"]!.TxOffered);
        AssertExactAccounting(h);
    }

    [Fact]
    public void A_tx_mirror_copies_exactly_the_frames_sent_by_its_source()
    {
        using var h = new BridgeHarness(4);
        AddMirror(h, "m", [1], 3, MirrorDirection.Tx);
        h.Inject(0, BridgeHarness.Frame(MacAddress.Broadcast, A, mark: 1)); // flooded: sent by p1 and p2
        h.Inject(1, BridgeHarness.Frame(MacAddress.Broadcast, B, mark: 2)); // received on p1: not copied
        h.Settle();
        h.Inject(2, BridgeHarness.Frame(B, C, mark: 3)); // unicast to p1: copied
        h.Inject(2, BridgeHarness.Frame(A, C, mark: 4)); // unicast to p0: not
        h.Settle();

        Assert.Equal([1, 3], Marks(h.Drain(3)));
        Assert.Equal(2, Count(h, 1, Counter.Mirrored));
        AssertExactAccounting(h);
    }

    [Fact]
    public void Both_copies_a_frame_once_as_received_and_once_as_sent_when_it_crosses_two_sources()
    {
        using var h = new BridgeHarness(4);
        AddMirror(h, "m", [0, 1], 3);
        h.Inject(0, BridgeHarness.Frame(MacAddress.Broadcast, A, mark: 1)); // rx p0, tx p1 (and p2)
        h.Inject(2, BridgeHarness.Frame(MacAddress.Broadcast, C, mark: 2)); // tx p0, tx p1
        h.Settle();

        byte[] marks = Marks(h.Drain(3));
        Array.Sort(marks);
        Assert.Equal([1, 1, 2, 2], marks);
        AssertExactAccounting(h);
    }

    [Fact]
    public void Two_mirrors_of_one_source_to_one_output_copy_a_frame_once()
    {
        using var h = new BridgeHarness(3);
        AddMirror(h, "m1", [0], 2, MirrorDirection.Rx);
        AddMirror(h, "m2", [0], 2, MirrorDirection.Rx, vlan: 0);
        h.Inject(0, BridgeHarness.Frame(MacAddress.Broadcast, A, mark: 1));
        h.Settle();

        Assert.Equal([1], Marks(h.Drain(2)));
    }

    [Fact]
    public void The_output_port_takes_no_floods_no_unicast_and_its_input_is_dropped_as_mirror_output()
    {
        using var h = new BridgeHarness(4);
        h.Inject(3, BridgeHarness.Frame(MacAddress.Broadcast, C, mark: 9)); // C learned behind p3 before it becomes an output
        h.Settle();
        DrainAll(h);
        AddMirror(h, "m", [1], 3, MirrorDirection.Rx);
        Assert.Equal(-1, h.Bridge.MacTable.Lookup(C.Value, 0)); // its entries were flushed

        h.Inject(0, BridgeHarness.Frame(MacAddress.Broadcast, A, mark: 1)); // a flood: not to p3
        h.Inject(0, BridgeHarness.Frame(C, A, mark: 2));                      // unknown now: floods, not to p3
        h.Inject(3, BridgeHarness.Frame(MacAddress.Broadcast, C, mark: 3)); // the output's input: ignored
        h.Settle();

        Assert.Empty(h.Drain(3));
        Assert.Equal([1, 2], Marks(h.Drain(1)));
        Assert.Equal(1, Dropped(h, 3, DropReason.MirrorOutput));
        Assert.Equal(-1, h.Bridge.MacTable.Lookup(C.Value, 0));
        AssertExactAccounting(h);
    }

    [Fact]
    public void A_static_entry_on_the_output_port_floods_instead_of_reaching_it()
    {
        using var h = new BridgeHarness(3);
        AddMirror(h, "m", [1], 2, MirrorDirection.Rx);
        h.Bridge.MacTable.AddStatic(C, 0, 2);
        h.Inject(0, BridgeHarness.Frame(C, A, mark: 1));
        h.Settle();

        Assert.Empty(h.Drain(2));
        Assert.Equal([1], Marks(h.Drain(1)));
    }

    [Fact]
    public void Deleting_the_mirror_gives_the_output_port_back_to_switching()
    {
        using var h = new BridgeHarness(3);
        AddMirror(h, "m", [0], 2, MirrorDirection.Rx);
        Assert.True(h.Bridge.RemoveMirror("m"));
        Assert.False(h.Bridge.RemoveMirror("m"));
        h.Inject(0, BridgeHarness.Frame(MacAddress.Broadcast, A, mark: 1));
        h.Inject(2, BridgeHarness.Frame(MacAddress.Broadcast, C, mark: 2));
        h.Settle();

        Assert.Equal([1], Marks(h.Drain(2)));
        Assert.Equal([2], Marks(h.Drain(0)));
        Assert.Equal(0, Count(h, 0, Counter.Mirrored));
    }
}
