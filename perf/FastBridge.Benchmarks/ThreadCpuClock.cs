using System.Runtime.InteropServices;
using Perfolizer.Horology;

namespace FastBridge.Benchmarks;

/// <summary>
/// A BenchmarkDotNet clock that reads the benchmark thread's own CPU time (<c>CLOCK_THREAD_CPUTIME_ID</c>), not the
/// wall clock: time the thread spends preempted by other processes does not count. On a machine shared with other work
/// (2 vCPUs at a load average of 10-25) wall-clock medians of the same build differ by 2x from run to run, thread CPU
/// time by a few percent. Cache and TLB pollution by the other processes still counts. Use with <c>--inProcess</c>:
/// the clock must be read on the thread that runs the benchmark. Linux only.
/// </summary>
internal sealed class ThreadCpuClock : IClock
{
    private const int ClockThreadCpuTimeId = 3;

    public static readonly ThreadCpuClock Instance = new();

    public string Title => "thread CPU time";

    public bool IsAvailable => OperatingSystem.IsLinux();

    public Frequency Frequency => Frequency.GHz;

    public long GetTimestamp()
    {
        _ = ClockGetTime(ClockThreadCpuTimeId, out TimeSpec now);
        return (now.Seconds * 1_000_000_000L) + now.Nanoseconds;
    }

    // DllImport, not LibraryImport: the generated stub needs unsafe code, which this project does not allow, and a
    // blittable out struct needs no marshalling anyway.
    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
