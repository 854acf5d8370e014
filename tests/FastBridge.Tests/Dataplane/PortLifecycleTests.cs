using FastBridge.Diagnostics;
using FastBridge.Frames;
using FastBridge.Ports;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Dataplane;

/// <summary>Ports joining, leaving and failing while the bridge runs.</summary>
public sealed class PortLifecycleTests
{
    private static MacAddress A => Stations.Address(1);
    private static MacAddress B => Stations.Address(2);
    private static MacAddress C => Stations.Address(3);

    [Fact]
    public void A_removed_port_is_forgotten_and_no_longer_flooded()
    {
        using var h = new BridgeHarness(3);
        h.Inject(2, BridgeHarness.Frame(MacAddress.Broadcast, C));
        h.Settle();
        Assert.Equal(2, h.Bridge.MacTable.Lookup(C.Value, 0));

        Assert.True(h.Bridge.RemovePort("p2"));
        Assert.False(h.Bridge.RemovePort("p2"));
        Assert.Equal(-1, h.Bridge.MacTable.Lookup(C.Value, 0));
        Assert.Null(h.Bridge.FindPort("p2"));

        h.Drain(0);
        h.Drain(1);
        h.Inject(0, BridgeHarness.Frame(C, A));
        h.Settle();
        Assert.Single(h.Drain(1)); // C unknown again: flooded to the one other port left
    }

    [Fact]
    public void A_port_added_while_running_takes_part_at_once()
    {
        using var h = new BridgeHarness(2);
        var late = new MemoryPort("late");
        h.Bridge.AddPort(late);
        Assert.True(late.TryInject(BridgeHarness.Frame(MacAddress.Broadcast, C)));
        Assert.True(EndToEnd.WaitFor(() => h.Ports[0].Pending == 1 && h.Ports[1].Pending == 1, BridgeHarness.Timeout));
        Assert.Equal(late.Id, h.Bridge.MacTable.Lookup(C.Value, 0));
    }

    [Fact]
    public void Port_names_are_unique()
    {
        using var h = new BridgeHarness(2);
        Assert.Throws<InvalidOperationException>(() => h.Bridge.AddPort(new MemoryPort("p0")));
    }

    [Fact]
    public void A_gone_port_stops_taking_floods_and_the_others_keep_switching()
    {
        using var h = new BridgeHarness(3);
        h.Inject(1, BridgeHarness.Frame(MacAddress.Broadcast, B));
        h.Inject(2, BridgeHarness.Frame(MacAddress.Broadcast, C));
        h.Settle();
        for (int p = 0; p < 3; p++)
        {
            h.Drain(p);
        }

        h.Ports[2].SimulateGone();
        h.Bridge.Housekeep(); // what the one-second timer does
        Assert.Equal(-1, h.Bridge.MacTable.Lookup(C.Value, 0));

        h.Inject(0, BridgeHarness.Frame(MacAddress.Broadcast, A));
        h.Inject(0, BridgeHarness.Frame(B, A));
        h.Settle();
        Assert.Equal(2, h.Drain(1).Count);
        Assert.Empty(h.Drain(2));
        Assert.Equal(PortState.Gone, h.Bridge.ReadCounters()["p2"]!.State);
    }

    [Fact]
    public void Output_queue_overflow_is_counted_not_waited_for()
    {
        using var h = new BridgeHarness(2, queueSize: 4);
        for (int i = 0; i < 4; i++)
        {
            h.Inject(0, BridgeHarness.Frame(MacAddress.Broadcast, A));
            h.Settle(); // the 4-frame inbound queue of p0 must not overflow either
        }

        for (int i = 0; i < 4; i++)
        {
            h.Inject(0, BridgeHarness.Frame(MacAddress.Broadcast, A));
            h.Settle();
        }

        PortCounters p1 = h.Bridge.ReadCounters()["p1"]!;
        Assert.Equal(8, p1.TxOffered);
        Assert.Equal(4, p1.TxFrames);
        Assert.Equal(4, p1.Dropped(DropReason.RingFull));
        Assert.Equal(4, h.Drain(1).Count);
    }

    [Fact]
    public void Every_buffer_returns_to_the_pool_once_frames_are_taken()
    {
        using var h = new BridgeHarness(3);
        FastBridge.Buffers.PacketPool pool = h.Bridge.Pool;
        for (int i = 0; i < 100; i++)
        {
            h.Inject(i % 3, BridgeHarness.Frame(MacAddress.Broadcast, Stations.Address(10 + (i % 3))));
        }

        h.Settle();
        Assert.True(pool.SmallAvailable < pool.SmallCount);
        for (int p = 0; p < 3; p++)
        {
            Assert.Equal(100 - h.Ports[p].Injected, h.Drain(p).Count); // every flood but its own
        }

        Assert.True(EndToEnd.WaitFor(() => pool.SmallAvailable == pool.SmallCount, BridgeHarness.Timeout),
            $"{pool.SmallCount - pool.SmallAvailable} buffers outstanding");
    }
}
