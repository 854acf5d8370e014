using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;

namespace FastBridge.Benchmarks;

/// <summary>
/// Entry point: <c>dotnet run -c Release --project perf/FastBridge.Benchmarks -- --filter '*'</c> runs every
/// benchmark; <c>--job short</c> trades precision for time; <c>--anyCategories Parser</c> picks one family.
/// <c>--thread-cpu-clock</c> (with <c>--inProcess</c>) times with the benchmark thread's CPU time instead of the wall
/// clock, for a machine shared with other work (<see cref="ThreadCpuClock"/>).
/// </summary>
public static class Program
{
    private const string ThreadCpuClockOption = "--thread-cpu-clock";

    public static void Main(string[] args)
    {
        IConfig? config = null;
        if (Array.IndexOf(args, ThreadCpuClockOption) >= 0)
        {
            args = Array.FindAll(args, a => a != ThreadCpuClockOption);
            config = DefaultConfig.Instance.AddJob(Job.Default.WithClock(ThreadCpuClock.Instance).AsDefault());
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
    }
}
