using FastBridge.Switching;
using FastBridge.Tests.Infrastructure;
using static FastBridge.Tests.Infrastructure.Stations;

namespace FastBridge.Tests.Switching;

/// <summary>Learning and lookup on one thread: the dataplane contract.</summary>
public class MacTableTests
{
    [Fact]
    public void Learn_then_lookup_finds_the_port()
    {
        var table = new MacTable(capacity: 16);

        Assert.Equal(-1, table.Lookup(Mac(1), 10));
        Assert.Equal(LearnResult.Learned, table.Learn(Mac(1), 10, 3));

        Assert.Equal(3, table.Lookup(Mac(1), 10));
        Assert.Equal(1, table.Count);
        Assert.Equal(16, table.Capacity);
    }

    [Fact]
    public void Same_mac_in_two_vlans_is_two_stations()
    {
        var table = new MacTable(capacity: 16);

        Assert.Equal(LearnResult.Learned, table.Learn(Mac(1), 10, 1));
        Assert.Equal(LearnResult.Learned, table.Learn(Mac(1), 20, 2));

        Assert.Equal(1, table.Lookup(Mac(1), 10));
        Assert.Equal(2, table.Lookup(Mac(1), 20));
        Assert.Equal(-1, table.Lookup(Mac(1), 30));
        Assert.Equal(2, table.Count);
    }

    [Fact]
    public void Bits_above_the_mac_are_ignored()
    {
        var table = new MacTable(capacity: 16);

        // An 8-byte load of a frame's first bytes carries two bytes of the next field; the table masks them.
        table.Learn(Mac(1) | 0xABCD_0000_0000_0000UL, 1, 4);

        Assert.Equal(4, table.Lookup(Mac(1), 1));
    }

    [Fact]
    public void Learning_again_on_the_same_port_refreshes()
    {
        var table = new MacTable(capacity: 16);
        table.Learn(Mac(1), 1, 5);

        Assert.Equal(LearnResult.Refreshed, table.Learn(Mac(1), 1, 5));
        Assert.Equal(5, table.Lookup(Mac(1), 1));
        Assert.Equal(1, table.Count);
    }

    [Fact]
    public void Learning_on_another_port_moves_the_station()
    {
        var table = new MacTable(capacity: 16);
        table.Learn(Mac(1), 1, 5);

        Assert.Equal(LearnResult.Moved, table.Learn(Mac(1), 1, 6));
        Assert.Equal(6, table.Lookup(Mac(1), 1));
        Assert.Equal(LearnResult.Refreshed, table.Learn(Mac(1), 1, 6));
        Assert.Equal(1, table.Count);
    }

    [Fact]
    public void Port_numbers_are_sixteen_bits()
    {
        var table = new MacTable(capacity: 16);

        Assert.Equal(LearnResult.Learned, table.Learn(Mac(1), 1, MacTable.MaxPort));
        Assert.Equal(MacTable.MaxPort, table.Lookup(Mac(1), 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => table.Learn(Mac(2), 1, MacTable.MaxPort + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => table.Learn(Mac(2), 1, -1));
    }

    [Fact]
    public void Constructor_rejects_bad_arguments()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new MacTable(capacity: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MacTable(capacity: MacTable.MaxCapacity + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MacTable(agingSeconds: -1));
    }

    [Fact]
    public void A_full_table_refuses_new_stations_but_keeps_refreshing_known_ones()
    {
        const int Capacity = 100;
        var table = new MacTable(capacity: Capacity);
        for (int i = 0; i < Capacity; i++)
        {
            Assert.Equal(LearnResult.Learned, table.Learn(Mac(i), 1, i % 7));
        }

        Assert.Equal(LearnResult.TableFull, table.Learn(Mac(Capacity), 1, 1));
        Assert.Equal(Capacity, table.Count);
        Assert.Equal(-1, table.Lookup(Mac(Capacity), 1));
        Assert.Equal(LearnResult.Refreshed, table.Learn(Mac(0), 1, 0));
        Assert.Equal(LearnResult.Moved, table.Learn(Mac(0), 1, 3));
        Assert.Equal(Capacity, table.Count);
    }

    [Fact]
    public void A_full_table_learns_again_after_a_remove()
    {
        var table = new MacTable(capacity: 10);
        for (int i = 0; i < 10; i++)
        {
            table.Learn(Mac(i), 1, 1);
        }

        Assert.Equal(LearnResult.TableFull, table.Learn(Mac(10), 1, 1));
        Assert.True(table.Remove(Address(3), 1));

        Assert.Equal(LearnResult.Learned, table.Learn(Mac(10), 1, 2));
        Assert.Equal(2, table.Lookup(Mac(10), 1));
        Assert.Equal(10, table.Count);
    }

    [Fact]
    public void A_full_table_learns_again_after_a_sweep()
    {
        var clock = new ManualTimeProvider();
        var table = new MacTable(capacity: 10, agingSeconds: 60, time: clock);
        for (int i = 0; i < 10; i++)
        {
            table.Learn(Mac(i), 1, 1);
        }

        Assert.Equal(LearnResult.TableFull, table.Learn(Mac(10), 1, 1));
        clock.Advance(TimeSpan.FromSeconds(60));
        table.Tick();
        Assert.Equal(10, table.Sweep());

        Assert.Equal(0, table.Count);
        Assert.Equal(LearnResult.Learned, table.Learn(Mac(10), 1, 2));
        Assert.Equal(2, table.Lookup(Mac(10), 1));
    }

    [Fact]
    public void Tombstone_churn_keeps_the_table_correct()
    {
        // 64 entries in 128 slots; every round removes and learns, so tombstones pile up and force rebuilds.
        var table = new MacTable(capacity: 64);
        for (int round = 0; round < 50; round++)
        {
            for (int i = 0; i < 64; i++)
            {
                table.Learn(Mac((round * 64) + i), 1, i % 5);
            }

            for (int i = 0; i < 64; i++)
            {
                Assert.Equal(i % 5, table.Lookup(Mac((round * 64) + i), 1));
            }

            Assert.Equal(64, table.Count);
            Assert.Equal(64, table.Flush());
            Assert.Equal(0, table.Count);
            Assert.Equal(0, MacTableInternals.LiveSlots(table));
        }
    }

    [Fact]
    public void A_million_stations_are_all_learned_and_found()
    {
        const int Stations = 1_000_000;
        var table = new MacTable(capacity: Stations, agingSeconds: 0);
        for (int i = 0; i < Stations; i++)
        {
            if (table.Learn(Mac(i), (ushort)(i & 0xF), i & 0x3FF) != LearnResult.Learned)
            {
                Assert.Fail($"station {i} was not learned");
            }
        }

        Assert.Equal(Stations, table.Count);
        Assert.Equal(LearnResult.TableFull, table.Learn(Mac(Stations), 0, 0));
        for (int i = 0; i < Stations; i++)
        {
            if (table.Lookup(Mac(i), (ushort)(i & 0xF)) != (i & 0x3FF))
            {
                Assert.Fail($"station {i} was not found on port {i & 0x3FF}");
            }
        }
    }

    [Fact]
    public void The_largest_table_can_be_built()
    {
        var table = new MacTable(capacity: MacTable.MaxCapacity);

        table.Learn(Mac(1), 1, 1);

        Assert.Equal(1, table.Lookup(Mac(1), 1));
        Assert.Equal(MacTable.MaxCapacity, table.Capacity);
    }

    [Fact]
    public void Learn_and_lookup_allocate_nothing()
    {
        const int Keys = 100_000;
        var table = new MacTable(capacity: 131_072);
        int sink = LearnAndLookup(table, Keys); // warm-up: JIT, tiering, first learns
        sink += LearnAndLookup(table, Keys);

        long before = GC.GetAllocatedBytesForCurrentThread();
        sink += LearnAndLookup(table, Keys);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(3 * Keys, sink);
    }

    /// <summary>Learns then looks up every key; returns how many were found on their port.</summary>
    private static int LearnAndLookup(MacTable table, int keys)
    {
        int found = 0;
        for (int i = 0; i < keys; i++)
        {
            table.Learn(Mac(i), 7, i & 0xFFFF);
        }

        for (int i = 0; i < keys; i++)
        {
            if (table.Lookup(Mac(i), 7) == (i & 0xFFFF))
            {
                found++;
            }
        }

        return found;
    }
}
