using FastBridge.Frames;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Dataplane;

/// <summary>MAC flooding and flapping defences, seen from the running bridge: counters, logs, who gets what.</summary>
public sealed class MacDefenseTests
{
    private static MacAddress B => Stations.Address(2);
    private static MacAddress C => Stations.Address(3);

    private static MacAddress Random(int i) => new(0x06UL | ((ulong)(uint)(i * 2654435761u) << 16) | ((ulong)(i & 0xff) << 8));

    [Fact]
    public void A_port_flooding_random_sources_cannot_push_out_the_other_ports_stations()
    {
        using var h = new BridgeHarness(3, configure: o => { o.MaxMacs = 64; o.StormLimit = 0; }, queueSize: 4096);
        h.Inject(1, BridgeHarness.Frame(MacAddress.Broadcast, B));
        h.Inject(2, BridgeHarness.Frame(MacAddress.Broadcast, C));
        h.Settle();
        h.Drain(0);

        for (int i = 0; i < 2000; i++)
        {
            h.Inject(0, BridgeHarness.Frame(B, Random(i))); // known destination: no flood, but 2000 new sources
            if (i % 500 == 0)
            {
                h.Settle();
                h.Drain(1);
            }
        }

        h.Settle();
        Assert.True(h.Bridge.MacTable.Count <= 64);
        Assert.Equal(1, h.Bridge.MacTable.Lookup(B.Value, 0));
        Assert.Equal(2, h.Bridge.MacTable.Lookup(C.Value, 0));
        Assert.True(h.Bridge.ReadCounters().TableFull > 0);

        h.Drain(0);
        h.Drain(1);
        h.Drain(2);
        h.Inject(1, BridgeHarness.Frame(C, B));
        h.Inject(2, BridgeHarness.Frame(B, C));
        h.Settle();
        Assert.Single(h.Drain(2));
        Assert.Single(h.Drain(1));
        Assert.Empty(h.Drain(0)); // known unicast between the others, never flooded to the attacker
    }

    [Fact]
    public void A_full_table_evicts_from_the_heaviest_port_to_learn_another_ports_station()
    {
        using var h = new BridgeHarness(3, configure: o => { o.MaxMacs = 32; o.StormLimit = 0; }, queueSize: 4096);
        for (int i = 0; i < 100; i++)
        {
            h.Inject(0, BridgeHarness.Frame(MacAddress.Broadcast, Random(i)));
        }

        h.Settle();
        Assert.Equal(32, h.Bridge.MacTable.Count);

        h.Inject(1, BridgeHarness.Frame(MacAddress.Broadcast, B));
        h.Settle();
        Assert.Equal(1, h.Bridge.MacTable.Lookup(B.Value, 0));
        Assert.Equal(1, h.Bridge.ReadCounters().Evicted);
        Assert.Equal(32, h.Bridge.MacTable.Count);
    }

    [Fact]
    public void The_per_port_learning_limit_is_counted_and_logged()
    {
        var log = new ListLogger();
        using var h = new BridgeHarness(2, configure: o => { o.MaxMacsPerPort = 10; o.StormLimit = 0; o.LoggerFactory = log; });
        for (int i = 0; i < 25; i++)
        {
            h.Inject(0, BridgeHarness.Frame(MacAddress.Broadcast, Random(i)));
        }

        h.Settle();
        h.Bridge.Housekeep();
        Assert.Equal(10, h.Bridge.MacTable.CountOnPort(0));
        Assert.Equal(15, h.Bridge.ReadCounters().PortLimit);
        Assert.Contains(log.Lines, l => l.Contains("learning limit", StringComparison.Ordinal) && l.Contains("15", StringComparison.Ordinal));
    }

    [Fact]
    public void A_station_flapping_between_ports_is_counted_and_logged_once_with_its_ports()
    {
        var log = new ListLogger();
        using var h = new BridgeHarness(3, configure: o => { o.StormLimit = 0; o.LoggerFactory = log; });
        for (int i = 0; i < 8; i++)
        {
            h.Inject(1 + (i % 2), BridgeHarness.Frame(MacAddress.Broadcast, B)); // B on p1, p2, p1, p2, ...
            h.Settle();
        }

        Assert.True(h.Bridge.ReadCounters().Flaps >= 1);
        for (int t = 0; t < 10; t++)
        {
            h.Bridge.Housekeep(); // the flap log interval is ten housekeeping ticks
        }

        string[] flapping = log.Lines.Where(l => l.Contains("is flapping", StringComparison.Ordinal)).ToArray();
        string line = Assert.Single(flapping);
        Assert.Contains(B.ToString(), line);
        Assert.Contains("p1", line);
        Assert.Contains("p2", line);
    }
}
