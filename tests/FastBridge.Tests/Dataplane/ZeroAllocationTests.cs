using FastBridge.Buffers;
using FastBridge.Frames;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Dataplane;

/// <summary>
/// The per-frame path allocates nothing: a million frames through a running bridge (two workers, so frames cross
/// threads through the rings) allocate not one byte on the worker threads or on the thread that injects and takes them.
/// </summary>
[Collection(nameof(QuietCollection))]
public sealed class ZeroAllocationTests
{
    private const int Frames = 1_000_000;

    // Fewer frames in flight than any ring holds, so no frame can be dropped and every one must come out.
    private const int InFlight = 512;

    [Fact]
    public void A_million_frames_allocate_nothing_per_frame()
    {
        using var h = new BridgeHarness(2, workers: 2, queueSize: 4096);
        MacAddress a = Stations.Address(1);
        MacAddress b = Stations.Address(2);
        h.Inject(1, BridgeHarness.Frame(MacAddress.Broadcast, b));
        h.Settle();
        h.Drain(0);
        byte[] frame = BridgeHarness.Frame(b, a, 64);

        Pump(h, frame, 200_000); // warm-up: JIT tiers, first-use allocations
        long moved = 0;
        long injector = 0;
        long workers = WorkerAllocations.During(h.Bridge, () =>
        {
            long injectorBefore = GC.GetAllocatedBytesForCurrentThread();
            moved = Pump(h, frame, Frames);
            injector = GC.GetAllocatedBytesForCurrentThread() - injectorBefore;
        });

        // Exactly zero on the dataplane threads and on the thread that injected and took every frame. (Process-wide
        // totals also see the test runner's and timers' threads, so they are not the measure here.)
        Assert.Equal(Frames, moved);
        Assert.True(workers == 0, $"the worker threads allocated {workers} bytes while moving {Frames} frames");
        Assert.True(injector == 0, $"the injecting thread allocated {injector} bytes for {Frames} frames");
    }

    /// <summary>Injects <paramref name="count"/> frames on p0 and takes them off p1, bounded in time.</summary>
    private static long Pump(BridgeHarness h, byte[] frame, int count)
    {
        MemoryPortPair ports = new(h.Ports[0], h.Ports[1]);
        long taken = 0;
        long injected = 0;
        long deadline = Environment.TickCount64 + 120_000;
        while (taken < count && Environment.TickCount64 < deadline)
        {
            while (injected < count && injected - taken < InFlight && ports.In.TryInject(frame))
            {
                injected++;
            }

            while (ports.Out.TryTake(out Packet packet))
            {
                packet.Release();
                taken++;
            }
        }

        return taken;
    }

    private readonly record struct MemoryPortPair(FastBridge.Ports.MemoryPort In, FastBridge.Ports.MemoryPort Out);
}
