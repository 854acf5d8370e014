using FastBridge.Switching;
using FastBridge.Tests.Infrastructure;
using static FastBridge.Tests.Infrastructure.Stations;

namespace FastBridge.Tests.Switching;

/// <summary>Per-port entry counts stay exact through every way an entry comes, moves and goes.</summary>
public class MacTablePortCountTests
{
    private const ushort Vlan = 1;
    private readonly ManualTimeProvider _clock = new();

    [Fact]
    public void Counts_follow_learns_moves_statics_removes_flushes_aging_and_resizes()
    {
        var table = new MacTable(capacity: 256, agingSeconds: 10, time: _clock);
        for (int i = 0; i < 30; i++)
        {
            table.Learn(Mac(i), Vlan, 1 + (i % 3)); // 10 each on ports 1, 2, 3
        }

        Expect(table, (1, 10), (2, 10), (3, 10));

        // Moves: 5 from port 1 to port 2.
        for (int i = 0; i < 15; i += 3)
        {
            Assert.Equal(LearnResult.Moved, table.Learn(Mac(i), Vlan, 2));
        }

        Expect(table, (1, 5), (2, 15), (3, 10));

        // Static: one new on port 4, one overwriting a dynamic entry of port 3 (Mac(2)).
        Assert.True(table.AddStatic(Address(100), Vlan, 4));
        Assert.True(table.AddStatic(Address(2), Vlan, 4));
        Expect(table, (1, 5), (2, 15), (3, 9), (4, 2));
        Assert.Equal(0, table.DynamicCountOnPort(4));

        // Remove one dynamic, one static.
        Assert.True(table.Remove(Address(1), Vlan)); // port 2
        Assert.True(table.Remove(Address(100), Vlan));
        Expect(table, (1, 5), (2, 14), (3, 9), (4, 1));

        // Flush port 2's dynamic entries; remove port 4 (its static one too).
        Assert.Equal(14, table.Flush(2));
        Assert.Equal(1, table.RemovePort(4));
        Expect(table, (1, 5), (2, 0), (3, 9), (4, 0));

        // Aging: port 1's stations expire, port 3's are refreshed just before.
        _clock.Advance(TimeSpan.FromSeconds(5));
        table.Tick();
        for (int i = 2; i < 30; i += 3)
        {
            table.Learn(Mac(i), Vlan, 3);
        }

        _clock.Advance(TimeSpan.FromSeconds(5));
        table.Tick();
        Assert.Equal(5, table.Sweep());
        Expect(table, (1, 0), (3, 10)); // Mac(2) came back as a dynamic entry of port 3

        // Resize up, then down below the count (keeps the freshest).
        for (int i = 0; i < 20; i++)
        {
            table.Learn(Mac(1000 + i), Vlan, 5);
        }

        table.Resize(1024);
        Expect(table, (3, 10), (5, 20));
        table.Resize(12);
        Assert.Equal(12, table.Count);
        AssertCounts.Exact(table);

        // Flush everything.
        table.Flush();
        Assert.Equal(0, table.Count);
        Expect(table, (3, 0), (5, 0));
    }

    [Fact]
    public void Counts_cover_ports_beyond_the_first_chunk()
    {
        var table = new MacTable(capacity: 64, agingSeconds: 0);
        table.Learn(Mac(1), Vlan, MacTable.MaxPort);
        table.Learn(Mac(2), Vlan, 5000);
        table.Learn(Mac(3), Vlan, 5000);
        Assert.Equal(1, table.CountOnPort(MacTable.MaxPort));
        Assert.Equal(2, table.CountOnPort(5000));
        Assert.Equal(LearnResult.Moved, table.Learn(Mac(1), Vlan, 5000));
        Assert.Equal(0, table.CountOnPort(MacTable.MaxPort));
        Assert.Equal(3, table.CountOnPort(5000));
        Assert.Throws<ArgumentOutOfRangeException>(() => table.CountOnPort(MacTable.MaxPort + 1));
        AssertCounts.Exact(table);
    }

    [Fact]
    public void Sweep_keeps_counts_exact_when_it_repairs_a_duplicate()
    {
        var table = new MacTable(capacity: 64, agingSeconds: 0);
        table.Learn(Mac(1), Vlan, 1);
        MacTableInternals.PlantDuplicate(table, Address(1), Vlan, 2, isStatic: false);
        Assert.Equal(2, table.Count);
        Assert.Equal(2, MacTableInternals.SumOfPortCounts(table));

        table.Sweep();
        Expect(table, (1, 1), (2, 0));
    }

    private static void Expect(MacTable table, params (int Port, int Count)[] expected)
    {
        foreach ((int port, int count) in expected)
        {
            Assert.Equal(count, table.CountOnPort(port));
        }

        AssertCounts.Exact(table);
    }
}
