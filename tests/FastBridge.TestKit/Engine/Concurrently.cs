using System.Diagnostics;

namespace FastBridge.Tests.Infrastructure;

/// <summary>
/// Runs bodies on dedicated threads that start together, joins them all within a bound, and rethrows what any of
/// them threw. Bodies bound their own work (iteration counts and <see cref="Budget"/>); nothing sleeps.
/// </summary>
internal static class Concurrently
{
    /// <summary>How long a stress body may keep looping.</summary>
    public static readonly TimeSpan Budget = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan s_joinTimeout = TimeSpan.FromSeconds(60);

    public static void Run(params Action[] bodies)
    {
        var errors = new Exception?[bodies.Length];
        using var start = new Barrier(bodies.Length);
        var threads = new Thread[bodies.Length];
        for (int i = 0; i < bodies.Length; i++)
        {
            int index = i;
            threads[i] = new Thread(() =>
            {
                try
                {
                    start.SignalAndWait();
                    bodies[index]();
                }
                catch (Exception e)
                {
                    errors[index] = e;
                }
            })
            {
                IsBackground = true,
                Name = $"stress-{index}",
            };
            threads[i].Start();
        }

        var clock = Stopwatch.StartNew();
        foreach (Thread thread in threads)
        {
            TimeSpan left = s_joinTimeout - clock.Elapsed;
            if (left <= TimeSpan.Zero || !thread.Join(left))
            {
                Assert.Fail($"{thread.Name} did not finish within {s_joinTimeout}.");
            }
        }

        foreach (Exception? error in errors)
        {
            if (error is not null)
            {
                throw new AggregateException("A stress thread failed.", error);
            }
        }
    }
}
