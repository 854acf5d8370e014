namespace FastBridge.Fuzz;

/// <summary>
/// A clock that moves only when the harness moves it (a fixed step per request line), so that the rate limit and the
/// MAC table's age stamps see the same times on every run of an input: AFL's stability depends on it.
/// </summary>
/// <remarks>It has no timers: a fuzzed path that asks for one is a bug in the harness's determinism, and throws.</remarks>
internal sealed class FuzzClock : TimeProvider
{
    private long _ticks = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(_ticks, TimeSpan.Zero);

    public override long GetTimestamp() => _ticks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        throw new InvalidOperationException("the fuzzed path asked for a live timer");

    public void Advance(TimeSpan by) => _ticks += by.Ticks;
}
