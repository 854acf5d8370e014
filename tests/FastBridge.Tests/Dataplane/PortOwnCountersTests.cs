using FastBridge.Buffers;
using FastBridge.Diagnostics;
using FastBridge.Ports;

namespace FastBridge.Tests.Dataplane;

/// <summary>
/// A port kind reports the counters it keeps itself through <see cref="Port.AddOwnCounters"/>, with no type check in
/// the engine; they reach the port's snapshot and the bridge totals, and the totals keep them when the port leaves.
/// </summary>
public sealed class PortOwnCountersTests
{
    [Fact]
    public void A_port_kinds_own_counters_reach_the_snapshot_and_outlive_the_port()
    {
        using var bridge = new Bridge(new BridgeOptions { Workers = 1 });
        bridge.AddPort(new MemoryPort("m0"));
        bridge.AddPort(new CountingPort("own"));

        BridgeCounters counters = bridge.ReadCounters();
        PortCounters own = Assert.Single(counters.Ports, p => p.Name == "own");
        Assert.Equal(7, own[Counter.RxErrors]);
        Assert.Equal(3, own.Dropped(DropReason.Oversize));
        Assert.Equal(3, own.RxFrames); // a receive drop is also a received frame: the accounting balances
        Assert.Equal(own.RxFrames, own.Forwarded + own.IngressDrops);
        Assert.Equal(7, counters[Counter.RxErrors]);

        Assert.True(bridge.RemovePort("own"));
        BridgeCounters after = bridge.ReadCounters();
        Assert.Equal(7, after[Counter.RxErrors]);
        Assert.Equal(3, after.Dropped(DropReason.Oversize));
        Assert.Equal(3, after[Counter.RxFrames]);
    }

    /// <summary>A port that has dropped three oversize frames itself and counts seven failed reads of its own.</summary>
    private sealed class CountingPort : Port
    {
        public CountingPort(string name)
            : base(name)
        {
            for (int i = 0; i < 3; i++)
            {
                CountReceiveDrop(DropReason.Oversize);
            }
        }

        protected internal override void AddOwnCounters(CounterValues snapshot)
        {
            base.AddOwnCounters(snapshot);
            snapshot.Add(Counter.RxErrors, 7);
        }

        protected internal override int Receive(PacketPool pool, Span<Packet> burst) => 0;

        protected internal override void Transmit(ReadOnlySpan<Packet> frames, Span<DropReason> outcome)
        {
        }
    }
}
