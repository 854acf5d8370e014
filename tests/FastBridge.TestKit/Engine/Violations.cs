using System.Collections.Concurrent;

namespace FastBridge.Tests.Infrastructure;

/// <summary>Collects the first few invariant violations seen by stress threads, to assert on after the join.</summary>
internal sealed class Violations
{
    private readonly ConcurrentQueue<string> _seen = new();
    private int _count;

    public void Add(string what)
    {
        if (Interlocked.Increment(ref _count) <= 10)
        {
            _seen.Enqueue(what);
        }
    }

    public void AssertNone() =>
        Assert.True(Volatile.Read(ref _count) == 0, $"{_count} violations, first: {string.Join("; ", _seen)}");
}
