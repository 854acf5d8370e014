using BenchmarkDotNet.Attributes;
using FastBridge.Capture;

namespace FastBridge.Benchmarks;

/// <summary>
/// <see cref="SwitchingBenchmarks"/> with a live capture in place (docs/capture.md): <c>Idle</c> attaches a capture
/// whose filter watches a port id the benchmark never uses (so every burst takes the capture branch, walks the taps and
/// skips them: the cost of a capture running elsewhere); <c>Full</c> attaches a capture of every frame whose 4 KiB
/// rings nobody drains (every frame is filtered, counted as matched and refused: the worst case of a reader that fell
/// behind). The no-capture cost, one branch per burst, is <see cref="SwitchingBenchmarks"/> itself, compared with the
/// tree before capture existed (perf/README.md, "Capture").
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory(Categories.Capture)]
public class CaptureBenchmarks : SwitchingBenchmarks
{
    public enum CaptureMode
    {
        Idle,
        Full,
    }

    [Params(CaptureMode.Idle, CaptureMode.Full)]
    public CaptureMode Mode { get; set; }

    public override void Setup() // the base's [GlobalSetup] runs this override
    {
        base.Setup();
        int max = Switch.MaxPorts;
        var filter = Mode == CaptureMode.Idle ? new CaptureFilter(max, ports: [max - 1]) : new CaptureFilter(max);
        Switch.Captures.Attach(new CaptureSession(filter, Switch.WorkerCount, CaptureRing.MinCapacity, 262144, 0, max));
    }
}
