using FastBridge.Switching;
using FastBridge.Tests.Infrastructure;
using static FastBridge.Tests.Infrastructure.Stations;

namespace FastBridge.Tests.Switching;

/// <summary>MAC flapping: a station moving between ports faster than the threshold is flagged and reported once.</summary>
public class MacTableFlapTests
{
    private const ushort Vlan = 7;
    private readonly ManualTimeProvider _clock = new();
    private readonly List<FlapEvent> _events = [];

    private void Elapse(int seconds, MacTable table)
    {
        _clock.Advance(TimeSpan.FromSeconds(seconds));
        table.Tick();
    }

    private MacTable NewTable() => new(capacity: 64, agingSeconds: 300, time: _clock);

    [Fact]
    public void A_station_bouncing_between_two_ports_is_flapping_and_reported_once()
    {
        var table = NewTable();
        Assert.Equal(LearnResult.Learned, table.Learn(Mac(1), Vlan, 1));

        Assert.Equal(LearnResult.Moved, table.Learn(Mac(1), Vlan, 2));
        Assert.Equal(LearnResult.Moved, table.Learn(Mac(1), Vlan, 1));
        Elapse(1, table);
        Assert.Equal(LearnResult.MovedFlapping, table.Learn(Mac(1), Vlan, 2)); // third move within 5 s
        Assert.Equal(LearnResult.MovedFlapping, table.Learn(Mac(1), Vlan, 1));
        Assert.Equal(1, table.Lookup(Mac(1), Vlan)); // it did move

        Assert.Equal(1, table.DrainFlaps(_events));
        FlapEvent flap = Assert.Single(_events);
        Assert.Equal(Address(1), flap.Mac);
        Assert.Equal(Vlan, flap.Vlan);
        Assert.Equal(2, flap.FromPort);
        Assert.Equal(1, flap.ToPort);
        Assert.Equal(4, flap.Moves);

        // Once per interval: nothing new, nothing reported.
        _events.Clear();
        Assert.Equal(0, table.DrainFlaps(_events));
        Assert.Empty(_events);

        // Still flapping in the next interval: reported again with the moves since the last report.
        Assert.Equal(LearnResult.MovedFlapping, table.Learn(Mac(1), Vlan, 2));
        Assert.Equal(LearnResult.MovedFlapping, table.Learn(Mac(1), Vlan, 1));
        Assert.Equal(1, table.DrainFlaps(_events));
        Assert.Equal(2, Assert.Single(_events).Moves);
    }

    [Fact]
    public void A_single_move_is_not_flapping()
    {
        var table = NewTable();
        table.Learn(Mac(1), Vlan, 1);
        Assert.Equal(LearnResult.Moved, table.Learn(Mac(1), Vlan, 2));
        for (int i = 0; i < 100; i++)
        {
            Assert.Equal(LearnResult.Refreshed, table.Learn(Mac(1), Vlan, 2));
        }

        Assert.Equal(0, table.DrainFlaps(_events));
    }

    [Fact]
    public void Moves_slower_than_the_window_are_not_flapping()
    {
        var table = NewTable();
        table.Learn(Mac(1), Vlan, 1);
        for (int i = 0; i < 10; i++)
        {
            Elapse(MacTable.DefaultFlapWindowSeconds, table);
            Assert.Equal(LearnResult.Moved, table.Learn(Mac(1), Vlan, 1 + ((i + 1) % 2)));
        }

        Assert.Equal(0, table.DrainFlaps(_events));
    }

    [Fact]
    public void Moves_just_inside_the_window_are_flapping()
    {
        var table = NewTable();
        table.Learn(Mac(1), Vlan, 1);
        Assert.Equal(LearnResult.Moved, table.Learn(Mac(1), Vlan, 2));
        Elapse(2, table);
        Assert.Equal(LearnResult.Moved, table.Learn(Mac(1), Vlan, 1));
        Elapse(2, table);
        Assert.Equal(LearnResult.MovedFlapping, table.Learn(Mac(1), Vlan, 2)); // 3 moves in 4 s
    }

    [Fact]
    public void Several_flappers_are_each_reported_with_their_own_ports()
    {
        var table = NewTable();
        for (int s = 0; s < 3; s++)
        {
            int a = 10 + s;
            int b = 20 + s;
            table.Learn(Mac(s), (ushort)s, a);
            table.Learn(Mac(s), (ushort)s, b);
            table.Learn(Mac(s), (ushort)s, a);
            Assert.Equal(LearnResult.MovedFlapping, table.Learn(Mac(s), (ushort)s, b));
        }

        Assert.Equal(3, table.DrainFlaps(_events));
        for (int s = 0; s < 3; s++)
        {
            FlapEvent flap = Assert.Single(_events, e => e.Mac == Address(s));
            Assert.Equal((ushort)s, flap.Vlan);
            Assert.Equal(10 + s, flap.FromPort);
            Assert.Equal(20 + s, flap.ToPort);
            Assert.Equal(3, flap.Moves);
        }
    }

    [Fact]
    public void The_threshold_and_window_are_configurable()
    {
        var table = NewTable();
        Assert.Equal(3, table.FlapMoves);
        Assert.Equal(5, table.FlapWindowSeconds);
        table.FlapMoves = 2;
        table.FlapWindowSeconds = 60;
        table.Learn(Mac(1), Vlan, 1);
        Assert.Equal(LearnResult.Moved, table.Learn(Mac(1), Vlan, 2));
        Elapse(30, table);
        Assert.Equal(LearnResult.MovedFlapping, table.Learn(Mac(1), Vlan, 1));

        Assert.Throws<ArgumentOutOfRangeException>(() => table.FlapMoves = 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => table.FlapWindowSeconds = 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => table.FlapWindowSeconds = MacTable.MaxFlapWindowSeconds + 1);
    }

    [Fact]
    public void Two_workers_bouncing_one_station_agree_on_a_flap()
    {
        var table = new MacTable(capacity: 64, agingSeconds: 0);
        table.Learn(Mac(1), Vlan, 1);
        var violations = new Violations();
        int flaps = 0;

        Action Bouncer(int port) => () =>
        {
            for (int i = 0; i < 200_000; i++)
            {
                LearnResult result = table.Learn(Mac(1), Vlan, port);
                if (result == LearnResult.MovedFlapping)
                {
                    Interlocked.Increment(ref flaps);
                }
                else if (result is not (LearnResult.Moved or LearnResult.Refreshed))
                {
                    violations.Add($"port {port}: {result}");
                }
            }
        };

        Concurrently.Run(Bouncer(1), Bouncer(2), () =>
        {
            var drained = new List<FlapEvent>();
            for (int i = 0; i < 1000; i++)
            {
                table.DrainFlaps(drained);
            }
        });

        violations.AssertNone();
        Assert.Equal(1, table.Count);
        AssertCounts.Exact(table);
        if (Volatile.Read(ref flaps) > 0)
        {
            // The pending report may have been drained by the third thread; a new flap re-arms it.
            table.Learn(Mac(1), Vlan, 3);
            table.Learn(Mac(1), Vlan, 4);
            table.Learn(Mac(1), Vlan, 3);
            table.DrainFlaps(_events);
            Assert.Contains(_events, e => e.Mac == Address(1));
        }
    }
}
