using FastBridge.Frames;
using FastBridge.Switching;
using FastBridge.Tests.Infrastructure;
using static FastBridge.Tests.Infrastructure.Stations;

namespace FastBridge.Tests.Switching;

/// <summary>The control plane: static entries, removal, flushes, snapshots and live resizing.</summary>
public class MacTableControlTests
{
    private readonly ManualTimeProvider _clock = new();

    private void Elapse(int seconds, MacTable table)
    {
        _clock.Advance(TimeSpan.FromSeconds(seconds));
        table.Tick();
    }

    [Fact]
    public void A_static_entry_is_not_overwritten_by_learning()
    {
        var table = new MacTable(capacity: 16);
        Assert.True(table.AddStatic(Address(1), 1, 4));

        Assert.Equal(LearnResult.Static, table.Learn(Mac(1), 1, 9));
        Assert.Equal(LearnResult.Static, table.Learn(Mac(1), 1, 4));

        Assert.Equal(4, table.Lookup(Mac(1), 1));
        Assert.Equal(1, table.Count);
    }

    [Fact]
    public void A_static_entry_replaces_a_learned_one()
    {
        var table = new MacTable(capacity: 16);
        table.Learn(Mac(1), 1, 9);

        Assert.True(table.AddStatic(Address(1), 1, 4));

        Assert.Equal(4, table.Lookup(Mac(1), 1));
        Assert.Equal(1, table.Count);
        Assert.Equal(LearnResult.Static, table.Learn(Mac(1), 1, 9));
    }

    [Fact]
    public void AddStatic_fails_only_when_full()
    {
        var table = new MacTable(capacity: 2);
        table.Learn(Mac(1), 1, 1);
        Assert.True(table.AddStatic(Address(2), 1, 2));

        Assert.False(table.AddStatic(Address(3), 1, 3));
        Assert.True(table.AddStatic(Address(1), 1, 5)); // replacing needs no room
        Assert.True(table.AddStatic(Address(2), 1, 6)); // nor does changing a static
        Assert.Equal(5, table.Lookup(Mac(1), 1));
        Assert.Equal(6, table.Lookup(Mac(2), 1));
        Assert.Equal(2, table.Count);
    }

    [Fact]
    public void AddStatic_validates_its_arguments()
    {
        var table = new MacTable(capacity: 2);

        Assert.Throws<ArgumentOutOfRangeException>(() => table.AddStatic(Address(1), 4096, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => table.AddStatic(Address(1), 1, 65_536));
        Assert.Throws<ArgumentOutOfRangeException>(() => table.AddStatic(Address(1), 1, -1));
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public void Remove_takes_out_static_and_dynamic_entries()
    {
        var table = new MacTable(capacity: 16);
        table.AddStatic(Address(1), 1, 4);
        table.Learn(Mac(2), 1, 5);

        Assert.True(table.Remove(Address(1), 1));
        Assert.True(table.Remove(Address(2), 1));
        Assert.False(table.Remove(Address(2), 1));
        Assert.False(table.Remove(Address(1), 2));

        Assert.Equal(-1, table.Lookup(Mac(1), 1));
        Assert.Equal(-1, table.Lookup(Mac(2), 1));
        Assert.Equal(0, table.Count);
        Assert.Equal(LearnResult.Learned, table.Learn(Mac(1), 1, 7));
    }

    [Fact]
    public void Flush_by_port_removes_only_that_ports_dynamic_entries()
    {
        var table = new MacTable(capacity: 64);
        for (int i = 0; i < 30; i++)
        {
            table.Learn(Mac(i), 1, i % 3);
        }

        table.AddStatic(Address(100), 1, 1);

        Assert.Equal(10, table.Flush(port: 1));

        for (int i = 0; i < 30; i++)
        {
            Assert.Equal(i % 3 == 1 ? -1 : i % 3, table.Lookup(Mac(i), 1));
        }

        Assert.Equal(1, table.Lookup(Mac(100), 1));
        Assert.Equal(21, table.Count);
        Assert.Equal(0, table.Flush(port: 1));
    }

    [Fact]
    public void Flush_all_keeps_static_entries_unless_asked()
    {
        var table = new MacTable(capacity: 64);
        for (int i = 0; i < 20; i++)
        {
            table.Learn(Mac(i), 1, i % 4);
        }

        table.AddStatic(Address(100), 1, 1);
        table.AddStatic(Address(101), 2, 2);

        Assert.Equal(20, table.Flush());
        Assert.Equal(2, table.Count);
        Assert.Equal(1, table.Lookup(Mac(100), 1));
        Assert.Equal(2, table.Lookup(Mac(101), 2));

        Assert.Equal(2, table.Flush(includeStatic: true));
        Assert.Equal(0, table.Count);
        Assert.Equal(0, MacTableInternals.LiveSlots(table));
    }

    [Fact]
    public void RemovePort_removes_static_entries_too()
    {
        var table = new MacTable(capacity: 64);
        table.Learn(Mac(1), 1, 1);
        table.Learn(Mac(2), 1, 2);
        table.AddStatic(Address(3), 1, 1);
        table.AddStatic(Address(4), 1, 2);

        Assert.Equal(2, table.RemovePort(1));

        Assert.Equal(-1, table.Lookup(Mac(1), 1));
        Assert.Equal(-1, table.Lookup(Mac(3), 1));
        Assert.Equal(2, table.Lookup(Mac(2), 1));
        Assert.Equal(2, table.Lookup(Mac(4), 1));
        Assert.Equal(2, table.Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => table.RemovePort(-1));
    }

    [Fact]
    public void CopyTo_lists_live_entries_with_their_ages()
    {
        var table = new MacTable(capacity: 16, agingSeconds: 100, time: _clock);
        table.Learn(Mac(1), 10, 1);
        table.AddStatic(Address(2), 20, 2);
        Elapse(5, table);
        table.Learn(Mac(3), 10, 3);
        table.Learn(Mac(4), 10, 4);
        Elapse(2, table);
        table.Remove(Address(4), 10);

        var entries = new List<MacEntry>();
        table.CopyTo(entries);

        entries.Sort((a, b) => a.Mac.Value.CompareTo(b.Mac.Value));
        Assert.Equal(
            [
                new MacEntry(Address(1), 10, 1, IsStatic: false, AgeSeconds: 7),
                new MacEntry(Address(2), 20, 2, IsStatic: true, AgeSeconds: 7),
                new MacEntry(Address(3), 10, 3, IsStatic: false, AgeSeconds: 2),
            ],
            entries);
        Assert.Equal("02:00:01:00:00:00", entries[0].Mac.ToString());
    }

    [Fact]
    public void CopyTo_leaves_out_expired_entries()
    {
        var table = new MacTable(capacity: 16, agingSeconds: 10, time: _clock);
        table.Learn(Mac(1), 1, 1);
        Elapse(10, table);
        table.Learn(Mac(2), 1, 2);

        var entries = new List<MacEntry>();
        table.CopyTo(entries);

        Assert.Equal([new MacEntry(Address(2), 1, 2, false, 0)], entries);
    }

    [Fact]
    public void Resize_up_keeps_every_entry()
    {
        var table = new MacTable(capacity: 100);
        for (int i = 0; i < 90; i++)
        {
            table.Learn(Mac(i), 1, i % 8);
        }

        table.AddStatic(Address(50_000), 1, 9);

        table.Resize(10_000);

        Assert.Equal(10_000, table.Capacity);
        Assert.Equal(91, table.Count);
        for (int i = 0; i < 90; i++)
        {
            Assert.Equal(i % 8, table.Lookup(Mac(i), 1));
        }

        Assert.Equal(9, table.Lookup(Mac(50_000), 1));
        Assert.Equal(LearnResult.Static, table.Learn(Mac(50_000), 1, 1));
        for (int i = 90; i < 9_999; i++)
        {
            Assert.Equal(LearnResult.Learned, table.Learn(Mac(i), 1, 1));
        }

        Assert.Equal(LearnResult.TableFull, table.Learn(Mac(20_000), 1, 1));
    }

    [Fact]
    public void Resize_down_keeps_statics_then_the_freshest_stations()
    {
        var table = new MacTable(capacity: 100, agingSeconds: 1000, time: _clock);
        for (int i = 0; i < 10; i++)
        {
            table.AddStatic(Address(1000 + i), 1, 50 + i);
        }

        for (int i = 0; i < 90; i++)
        {
            table.Learn(Mac(i), 1, i % 8);
            Elapse(1, table); // station i is 90 - i seconds old
        }

        table.Resize(50);

        Assert.Equal(50, table.Capacity);
        Assert.Equal(50, table.Count);
        Assert.Equal(50, MacTableInternals.LiveSlots(table));
        for (int i = 0; i < 10; i++)
        {
            Assert.Equal(50 + i, table.Lookup(Mac(1000 + i), 1));
        }

        for (int i = 0; i < 90; i++)
        {
            Assert.Equal(i >= 50 ? i % 8 : -1, table.Lookup(Mac(i), 1));
        }

        Assert.Equal(LearnResult.TableFull, table.Learn(Mac(500), 1, 1));
    }

    [Fact]
    public void Resize_never_drops_static_entries()
    {
        var table = new MacTable(capacity: 100);
        for (int i = 0; i < 10; i++)
        {
            table.AddStatic(Address(i), 1, i);
        }

        Assert.Throws<InvalidOperationException>(() => table.Resize(9));
        Assert.Equal(100, table.Capacity);

        table.Resize(10);
        Assert.Equal(10, table.Count);
        for (int i = 0; i < 10; i++)
        {
            Assert.Equal(i, table.Lookup(Mac(i), 1));
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => table.Resize(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => table.Resize(MacTable.MaxCapacity + 1));
    }

    [Fact]
    public void Resize_drops_expired_entries_and_counts_them_as_aged()
    {
        var table = new MacTable(capacity: 100, agingSeconds: 10, time: _clock);
        table.Learn(Mac(1), 1, 1);
        Elapse(10, table);
        table.Learn(Mac(2), 1, 2);

        table.Resize(200);

        Assert.Equal(1, table.Count);
        Assert.Equal(1, table.AgedTotal);
        Assert.Equal(2, table.Lookup(Mac(2), 1));
    }

    [Fact]
    public void Sweep_removes_a_later_duplicate_and_keeps_the_first()
    {
        var table = new MacTable(capacity: 16);
        table.Learn(Mac(1), 1, 1);
        MacTableInternals.PlantDuplicate(table, Address(1), 1, 2, isStatic: false);
        Assert.Equal(2, table.Count);
        Assert.Equal(1, table.Lookup(Mac(1), 1)); // the first copy in probe order wins

        Assert.Equal(0, table.Sweep()); // duplicates are not counted as aged

        Assert.Equal(1, table.Count);
        Assert.Equal(1, MacTableInternals.LiveSlots(table));
        Assert.Equal(1, table.Lookup(Mac(1), 1));
        Assert.Equal(0, table.AgedTotal);
    }

    [Fact]
    public void Sweep_keeps_a_static_duplicate_over_a_dynamic_first_copy()
    {
        var table = new MacTable(capacity: 16);
        table.Learn(Mac(1), 1, 1);
        MacTableInternals.PlantDuplicate(table, Address(1), 1, 2, isStatic: true);

        var entries = new List<MacEntry>();
        table.CopyTo(entries);
        Assert.Single(entries); // a snapshot shows one row per station

        table.Sweep();

        Assert.Equal(1, table.Count);
        Assert.Equal(2, table.Lookup(Mac(1), 1));
        Assert.Equal(LearnResult.Static, table.Learn(Mac(1), 1, 1));
    }

    [Fact]
    public void Remove_and_AddStatic_take_out_every_copy()
    {
        var table = new MacTable(capacity: 16);
        table.Learn(Mac(1), 1, 1);
        MacTableInternals.PlantDuplicate(table, Address(1), 1, 2, isStatic: false);
        table.Learn(Mac(2), 1, 1);
        MacTableInternals.PlantDuplicate(table, Address(2), 1, 2, isStatic: false);

        Assert.True(table.Remove(Address(1), 1));
        Assert.True(table.AddStatic(Address(2), 1, 3));

        Assert.Equal(-1, table.Lookup(Mac(1), 1));
        Assert.Equal(3, table.Lookup(Mac(2), 1));
        Assert.Equal(1, table.Count);
        Assert.Equal(1, MacTableInternals.LiveSlots(table));
    }

    [Fact]
    public void Many_removals_rebuild_the_array_and_keep_static_entries()
    {
        // 1000 entries in 2048 slots: each round leaves 400 tombstones, past a quarter of the slots by round two.
        var table = new MacTable(capacity: 1000);
        table.AddStatic(Address(-1), 1, 7);
        for (int round = 0; round < 20; round++)
        {
            for (int i = 0; i < 400; i++)
            {
                Assert.Equal(LearnResult.Learned, table.Learn(Mac((round * 1000) + i), 1, 1));
            }

            for (int i = 0; i < 400; i++)
            {
                Assert.True(table.Remove(Address((round * 1000) + i), 1));
            }

            Assert.Equal(1, table.Count);
            Assert.Equal(1, MacTableInternals.LiveSlots(table));
            Assert.Equal(7, table.Lookup(Mac(-1), 1));
        }

        table.Sweep();
        Assert.Equal(1, table.Count);
    }
}
