using FastBridge.Buffers;
using FastBridge.Frames;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Dataplane;

/// <summary>
/// The per-frame path allocates nothing: a million frames through a running bridge (two workers, so frames cross
/// threads through the rings) move the process-wide allocated-bytes counter by less than one byte per frame.
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
        MacAddress a = BridgeHarness.Station(1);
        MacAddress b = BridgeHarness.Station(2);
        h.Inject(1, BridgeHarness.Frame(MacAddress.Broadcast, b));
        h.Settle();
        h.Drain(0);
        byte[] frame = BridgeHarness.Frame(b, a, 64);

        Pump(h, frame, 200_000); // warm-up: JIT tiers, first-use allocations
        long before = GC.GetTotalAllocatedBytes(precise: true);
        long moved = Pump(h, frame, Frames);
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        Assert.Equal(Frames, moved);
        Assert.True(allocated < Frames / 10, $"{allocated} bytes allocated while moving {Frames} frames ({(double)allocated / Frames:F3} B/frame)");
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
