using FastBridge.Switching;
using FastBridge.Tests.Infrastructure;
using static FastBridge.Tests.Infrastructure.Stations;

namespace FastBridge.Tests.Switching;

/// <summary>MAC flooding: a full table evicts from the port holding the most entries, never for that port itself.</summary>
public class MacTableFairEvictionTests
{
    private const ushort Vlan = 1;

    [Fact]
    public void A_port_flooding_a_million_sources_cannot_push_out_other_ports_stations()
    {
        // Config: stations on ports 2 and 3 known before the flood.
        const int Capacity = 8192;
        var table = new MacTable(capacity: Capacity, agingSeconds: 0);
        for (int i = 0; i < 100; i++)
        {
            Assert.Equal(LearnResult.Learned, table.Learn(Mac(i), Vlan, 2));
            Assert.Equal(LearnResult.Learned, table.Learn(Mac(100 + i), Vlan, 3));
        }

        // Test: port 1 sends from a million distinct sources.
        int learned = 0;
        int full = 0;
        for (int i = 0; i < 1_000_000; i++)
        {
            LearnResult result = table.Learn(Flood.Mac(i), Vlan, 1);
            if (result == LearnResult.Learned)
            {
                learned++;
            }
            else if (result == LearnResult.TableFull)
            {
                full++;
            }
            else
            {
                Assert.Fail($"flood source {i}: {result}");
            }

            if (table.Count > Capacity)
            {
                Assert.Fail($"Count {table.Count} > Capacity after flood source {i}");
            }
        }

        // Verify: port 1 got only the room left; ports 2 and 3 are still known unicast.
        Assert.Equal(Capacity - 200, learned);
        Assert.Equal(1_000_000 - learned, full);
        Assert.Equal(Capacity, table.Count);
        Assert.Equal(Capacity - 200, table.CountOnPort(1));
        Assert.Equal(100, table.CountOnPort(2));
        Assert.Equal(100, table.CountOnPort(3));
        for (int i = 0; i < 100; i++)
        {
            Assert.Equal(2, table.Lookup(Mac(i), Vlan));
            Assert.Equal(3, table.Lookup(Mac(100 + i), Vlan));
        }

        // Test: a new station on port 2 while port 1 is the heaviest.
        Assert.Equal(LearnResult.LearnedEvicting, table.Learn(Mac(1000), Vlan, 2));

        // Verify: it is known, and the room came from port 1.
        Assert.Equal(2, table.Lookup(Mac(1000), Vlan));
        Assert.Equal(Capacity, table.Count);
        Assert.Equal(Capacity - 201, table.CountOnPort(1));
        Assert.Equal(101, table.CountOnPort(2));

        // The flood goes on and still cannot take the room back.
        for (int i = 1_000_000; i < 1_010_000; i++)
        {
            Assert.Equal(LearnResult.TableFull, table.Learn(Flood.Mac(i), Vlan, 1));
        }

        Assert.Equal(2, table.Lookup(Mac(1000), Vlan));
        AssertCounts.Exact(table);
    }

    [Fact]
    public void Every_new_station_of_a_lighter_port_evicts_one_entry_of_the_heaviest()
    {
        var table = new MacTable(capacity: 1024, agingSeconds: 0);
        for (int i = 0; i < 1024; i++)
        {
            table.Learn(Flood.Mac(i), Vlan, 1);
        }

        for (int i = 0; i < 300; i++)
        {
            Assert.Equal(LearnResult.LearnedEvicting, table.Learn(Mac(i), Vlan, 2));
            Assert.Equal(LearnResult.LearnedEvicting, table.Learn(Mac(1000 + i), Vlan, 3));
        }

        Assert.Equal(1024, table.Count);
        Assert.Equal(1024 - 600, table.CountOnPort(1));
        for (int i = 0; i < 300; i++)
        {
            Assert.Equal(2, table.Lookup(Mac(i), Vlan));
            Assert.Equal(3, table.Lookup(Mac(1000 + i), Vlan));
        }

        AssertCounts.Exact(table);
    }

    [Fact]
    public void A_port_tying_with_the_heaviest_does_not_evict()
    {
        var table = new MacTable(capacity: 16, agingSeconds: 0);
        for (int i = 0; i < 8; i++)
        {
            table.Learn(Mac(i), Vlan, 1);
            table.Learn(Mac(100 + i), Vlan, 2);
        }

        Assert.Equal(LearnResult.TableFull, table.Learn(Mac(200), Vlan, 2));
        Assert.Equal(LearnResult.TableFull, table.Learn(Mac(201), Vlan, 1));
        Assert.Equal(8, table.CountOnPort(1));
        Assert.Equal(8, table.CountOnPort(2));

        // A third, empty port may take from either.
        Assert.Equal(LearnResult.LearnedEvicting, table.Learn(Mac(300), Vlan, 3));
        Assert.Equal(15, table.CountOnPort(1) + table.CountOnPort(2));
        AssertCounts.Exact(table);
    }

    [Fact]
    public void Static_entries_are_never_evicted()
    {
        var table = new MacTable(capacity: 64, agingSeconds: 0);
        for (int i = 0; i < 40; i++)
        {
            Assert.True(table.AddStatic(Address(i), Vlan, 1));
        }

        for (int i = 0; i < 24; i++)
        {
            table.Learn(Flood.Mac(i), Vlan, 1);
        }

        // Fairness counts dynamic entries: port 2 takes port 1's until they tie at 12 each.
        for (int i = 0; i < 12; i++)
        {
            Assert.Equal(LearnResult.LearnedEvicting, table.Learn(Mac(100 + i), Vlan, 2));
        }

        Assert.Equal(LearnResult.TableFull, table.Learn(Mac(200), Vlan, 2));
        for (int i = 0; i < 40; i++)
        {
            Assert.Equal(1, table.Lookup(Mac(i), Vlan));
        }

        Assert.Equal(52, table.CountOnPort(1));
        Assert.Equal(12, table.DynamicCountOnPort(1));
        Assert.Equal(12, table.CountOnPort(2));
        AssertCounts.Exact(table);
    }

    [Fact]
    public void A_stale_heaviest_port_refuses_until_the_sweep_rescans()
    {
        var table = new MacTable(capacity: 32, agingSeconds: 0);
        for (int i = 0; i < 20; i++)
        {
            table.Learn(Mac(i), Vlan, 1);
        }

        for (int i = 0; i < 12; i++)
        {
            table.Learn(Mac(100 + i), Vlan, 2);
        }

        // Port 3 takes from port 1 until they tie at 10; port 2 (12) is now the heaviest, but the cache says port 1.
        for (int i = 0; i < 10; i++)
        {
            Assert.Equal(LearnResult.LearnedEvicting, table.Learn(Mac(200 + i), Vlan, 3));
        }

        Assert.Equal(LearnResult.TableFull, table.Learn(Mac(210), Vlan, 3));
        Assert.Equal(1, table.Store.Eviction.Heaviest);

        table.Sweep();

        Assert.Equal(2, table.Store.Eviction.Heaviest);
        Assert.Equal(LearnResult.LearnedEvicting, table.Learn(Mac(210), Vlan, 3));
        Assert.Equal(11, table.CountOnPort(2));
        Assert.Equal(11, table.CountOnPort(3));
        Assert.Equal(10, table.CountOnPort(1));
        AssertCounts.Exact(table);
    }

    [Fact]
    public void A_full_table_evicts_an_expired_entry_too()
    {
        var clock = new ManualTimeProvider();
        var table = new MacTable(capacity: 16, agingSeconds: 10, time: clock);
        for (int i = 0; i < 16; i++)
        {
            table.Learn(Mac(i), Vlan, 1);
        }

        clock.Advance(TimeSpan.FromSeconds(10));
        table.Tick();

        Assert.Equal(LearnResult.LearnedEvicting, table.Learn(Mac(100), Vlan, 2));
        Assert.Equal(2, table.Lookup(Mac(100), Vlan));
        Assert.Equal(16, table.Count);
        AssertCounts.Exact(table, compareWithSnapshot: false); // the snapshot leaves the expired entries out
    }
}
