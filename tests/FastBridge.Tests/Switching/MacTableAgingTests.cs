using FastBridge.Switching;
using FastBridge.Tests.Infrastructure;
using static FastBridge.Tests.Infrastructure.Stations;

namespace FastBridge.Tests.Switching;

/// <summary>Aging with an injected clock: stamps, expiry, sweeping and live changes of the aging time.</summary>
public class MacTableAgingTests
{
    private readonly ManualTimeProvider _clock = new();

    private void Elapse(int seconds, MacTable table)
    {
        _clock.Advance(TimeSpan.FromSeconds(seconds));
        table.Tick();
    }

    [Fact]
    public void A_dynamic_entry_expires_after_the_aging_time_and_sweep_removes_it()
    {
        var table = new MacTable(capacity: 16, agingSeconds: 10, time: _clock);
        table.Learn(Mac(1), 1, 2);

        Elapse(9, table);
        Assert.Equal(2, table.Lookup(Mac(1), 1));
        Assert.Equal(0, table.Sweep());

        Elapse(1, table);
        Assert.Equal(-1, table.Lookup(Mac(1), 1)); // expired, not yet swept: unknown
        Assert.Equal(1, table.Count);

        Assert.Equal(1, table.Sweep());
        Assert.Equal(0, table.Count);
        Assert.Equal(1, table.AgedTotal);
        Assert.Equal(0, table.Sweep());
    }

    [Fact]
    public void The_clock_moves_only_on_tick()
    {
        var table = new MacTable(capacity: 16, agingSeconds: 10, time: _clock);
        table.Learn(Mac(1), 1, 2);

        _clock.Advance(TimeSpan.FromSeconds(100));
        Assert.Equal(2, table.Lookup(Mac(1), 1));

        table.Tick();
        Assert.Equal(-1, table.Lookup(Mac(1), 1));
    }

    [Fact]
    public void Learning_an_expired_station_before_the_sweep_learns_it_again()
    {
        var table = new MacTable(capacity: 16, agingSeconds: 10, time: _clock);
        table.Learn(Mac(1), 1, 2);
        Elapse(10, table);

        Assert.Equal(LearnResult.Learned, table.Learn(Mac(1), 1, 3));
        Assert.Equal(3, table.Lookup(Mac(1), 1));
        Assert.Equal(0, table.Sweep());
        Assert.Equal(1, table.Count);
    }

    [Fact]
    public void Refreshing_restarts_the_age()
    {
        var table = new MacTable(capacity: 16, agingSeconds: 10, time: _clock);
        table.Learn(Mac(1), 1, 2);

        Elapse(6, table);
        Assert.Equal(LearnResult.Refreshed, table.Learn(Mac(1), 1, 2));
        Elapse(6, table);

        Assert.Equal(2, table.Lookup(Mac(1), 1));
        Assert.Equal(0, table.Sweep());
        Elapse(4, table);
        Assert.Equal(1, table.Sweep());
    }

    [Fact]
    public void Aging_zero_never_expires()
    {
        var table = new MacTable(capacity: 16, agingSeconds: 0, time: _clock);
        table.Learn(Mac(1), 1, 2);

        Elapse(86_400 * 365, table);

        Assert.Equal(2, table.Lookup(Mac(1), 1));
        Assert.Equal(0, table.Sweep());
        Assert.Equal(1, table.Count);
    }

    [Fact]
    public void Changing_the_aging_time_takes_effect_live()
    {
        var table = new MacTable(capacity: 16, agingSeconds: 300, time: _clock);
        table.Learn(Mac(1), 1, 2);
        Elapse(20, table);
        table.Learn(Mac(2), 1, 3);
        Assert.Equal(2, table.Lookup(Mac(1), 1));

        table.AgingSeconds = 10;
        Assert.Equal(10, table.AgingSeconds);
        Assert.Equal(-1, table.Lookup(Mac(1), 1));
        Assert.Equal(3, table.Lookup(Mac(2), 1));

        table.AgingSeconds = 0; // not swept yet, so the entry is good again
        Assert.Equal(2, table.Lookup(Mac(1), 1));

        table.AgingSeconds = 10;
        Assert.Equal(1, table.Sweep());
        Assert.Equal(-1, table.Lookup(Mac(1), 1));
        Assert.Equal(3, table.Lookup(Mac(2), 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => table.AgingSeconds = -1);
    }

    [Fact]
    public void Turning_aging_on_does_not_expire_active_stations()
    {
        var table = new MacTable(capacity: 16, agingSeconds: 0, time: _clock);
        table.Learn(Mac(1), 1, 2);
        Elapse(1000, table);
        table.Learn(Mac(1), 1, 2); // stamps are kept fresh even with aging off

        table.AgingSeconds = 10;

        Assert.Equal(2, table.Lookup(Mac(1), 1));
        Assert.Equal(0, table.Sweep());
    }

    [Fact]
    public void Static_entries_never_age()
    {
        var table = new MacTable(capacity: 16, agingSeconds: 10, time: _clock);
        Assert.True(table.AddStatic(Address(1), 1, 4));
        table.Learn(Mac(2), 1, 5);

        Elapse(1000, table);

        Assert.Equal(4, table.Lookup(Mac(1), 1));
        Assert.Equal(-1, table.Lookup(Mac(2), 1));
        Assert.Equal(1, table.Sweep());
        Assert.Equal(4, table.Lookup(Mac(1), 1));
        Assert.Equal(1, table.Count);
    }

    [Fact]
    public void A_clock_step_backwards_holds_the_clock_still()
    {
        var table = new MacTable(capacity: 16, agingSeconds: 10, time: _clock);
        Elapse(100, table);
        table.Learn(Mac(1), 1, 2);

        Elapse(-50, table);
        Assert.Equal(2, table.Lookup(Mac(1), 1));
        Assert.Equal(LearnResult.Refreshed, table.Learn(Mac(1), 1, 2));

        Elapse(59, table); // back at 109: 9 seconds after the learn
        Assert.Equal(2, table.Lookup(Mac(1), 1));
        Elapse(1, table);
        Assert.Equal(-1, table.Lookup(Mac(1), 1));
    }
}
