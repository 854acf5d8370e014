using FastBridge.Switching;
using FastBridge.Tests.Infrastructure;
using static FastBridge.Tests.Infrastructure.Stations;

namespace FastBridge.Tests.Switching;

/// <summary>The per-port learning cap (<see cref="MacTable.MaxPerPort"/>).</summary>
public class MacTablePortLimitTests
{
    private const ushort Vlan = 1;

    [Fact]
    public void The_cap_is_off_by_default()
    {
        var table = new MacTable(capacity: 64, agingSeconds: 0);
        Assert.Equal(0, table.MaxPerPort);
        for (int i = 0; i < 64; i++)
        {
            Assert.Equal(LearnResult.Learned, table.Learn(Mac(i), Vlan, 1));
        }
    }

    [Fact]
    public void A_port_at_its_cap_learns_no_new_station_while_others_still_do()
    {
        var table = new MacTable(capacity: 1024, agingSeconds: 0) { MaxPerPort = 10 };
        for (int i = 0; i < 20; i++)
        {
            Assert.Equal(i < 10 ? LearnResult.Learned : LearnResult.PortLimit, table.Learn(Flood.Mac(i), Vlan, 1));
            Assert.True(table.CountOnPort(1) <= 10);
        }

        Assert.Equal(10, table.CountOnPort(1));
        Assert.Equal(-1, table.Lookup(Flood.Mac(15), Vlan));
        Assert.Equal(LearnResult.Learned, table.Learn(Mac(1), Vlan, 2));

        // Known stations still refresh; removing one makes room for one.
        Assert.Equal(LearnResult.Refreshed, table.Learn(Flood.Mac(3), Vlan, 1));
        Assert.True(table.Remove(new(Flood.Mac(3)), Vlan));
        Assert.Equal(LearnResult.Learned, table.Learn(Flood.Mac(15), Vlan, 1));
        Assert.Equal(LearnResult.PortLimit, table.Learn(Flood.Mac(16), Vlan, 1));

        // Lifting the cap takes effect on the next learn.
        table.MaxPerPort = 0;
        Assert.Equal(LearnResult.Learned, table.Learn(Flood.Mac(16), Vlan, 1));
        Assert.Equal(11, table.CountOnPort(1));
        AssertCounts.Exact(table);
    }

    [Fact]
    public void Static_entries_do_not_count_against_the_cap()
    {
        var table = new MacTable(capacity: 64, agingSeconds: 0) { MaxPerPort = 2 };
        Assert.True(table.AddStatic(Address(100), Vlan, 1));
        Assert.Equal(LearnResult.Learned, table.Learn(Mac(1), Vlan, 1));
        Assert.Equal(LearnResult.Learned, table.Learn(Mac(2), Vlan, 1));
        Assert.Equal(LearnResult.PortLimit, table.Learn(Mac(3), Vlan, 1));
        Assert.Equal(3, table.CountOnPort(1));
        Assert.Equal(2, table.DynamicCountOnPort(1));
    }

    [Fact]
    public void A_move_onto_a_capped_port_is_not_refused_but_an_expired_station_is()
    {
        var clock = new ManualTimeProvider();
        var table = new MacTable(capacity: 64, agingSeconds: 10, time: clock) { MaxPerPort = 2 };
        table.Learn(Mac(1), Vlan, 1);
        table.Learn(Mac(2), Vlan, 1);
        table.Learn(Mac(3), Vlan, 2);

        // Refusing a move would leave the station pointing at the port it left (as the Linux bridge, moves pass).
        Assert.Equal(LearnResult.Moved, table.Learn(Mac(3), Vlan, 1));
        Assert.Equal(1, table.Lookup(Mac(3), Vlan));
        Assert.Equal(3, table.CountOnPort(1));

        // An expired entry taken over by a capped port is a new station there: refused, left as it was.
        table.Learn(Mac(4), Vlan, 3);
        clock.Advance(TimeSpan.FromSeconds(10));
        table.Tick();
        Assert.Equal(LearnResult.PortLimit, table.Learn(Mac(4), Vlan, 1));
        Assert.Equal(1, table.CountOnPort(3));
        Assert.Equal(-1, table.Lookup(Mac(4), Vlan));
        AssertCounts.Exact(table, compareWithSnapshot: false);
    }

    [Fact]
    public void Racing_learners_on_one_port_never_overshoot_the_cap()
    {
        const int Cap = 100;
        var table = new MacTable(capacity: 4096, agingSeconds: 0) { MaxPerPort = Cap };
        var violations = new Violations();

        Action Learner(int t) => () =>
        {
            for (int i = 0; i < 2000; i++)
            {
                LearnResult result = table.Learn(Flood.Mac((t * 100_000) + i), Vlan, 1);
                if (result is not (LearnResult.Learned or LearnResult.PortLimit))
                {
                    violations.Add($"learner {t}: {result}");
                }

                if (table.DynamicCountOnPort(1) > Cap)
                {
                    violations.Add($"count {table.DynamicCountOnPort(1)} > cap");
                }
            }
        };

        Concurrently.Run(Learner(0), Learner(1), Learner(2), Learner(3));

        violations.AssertNone();
        Assert.Equal(Cap, table.CountOnPort(1));
        Assert.Equal(Cap, table.Count);
        AssertCounts.Exact(table);
    }

    [Fact]
    public void A_negative_cap_is_rejected() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new MacTable().MaxPerPort = -1);
}
