using FastBridge.Buffers;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Ports.QemuDgram;

/// <summary>
/// A dgram port's Receive and Transmit (recvmmsg, sendmmsg on the worker) allocate nothing per frame: 102,400 frames
/// each way between a socket peer and a memory port, and the worker threads' allocation counters do not move.
/// </summary>
[Collection(nameof(QuietCollection))]
public sealed class DgramPortAllocationTests
{
    private const int Frames = 102_400;
    private const int Batch = 8; // below the peer's receive queue (net.unix.max_dgram_qlen, 10 by default): no ring-full drops

    [Fact]
    public void Frames_both_ways_allocate_nothing_on_the_workers()
    {
        using var rig = new DgramRig(workers: 2);
        using DgramPeer peer = rig.Join(station: 10);
        rig.Harness.Inject(0, DgramRig.Broadcast(from: 20));
        Assert.NotNull(peer.Receive(DgramRig.Timeout));
        rig.Harness.Drain(0);
        rig.Harness.Drain(1);

        Pump(rig, peer, Frames / 10); // warm-up: JIT tiers, first-use allocations
        long allocated = WorkerAllocations.During(rig.Bridge, () => Assert.Equal(Frames, Pump(rig, peer, Frames)));
        Assert.True(allocated == 0, $"the worker threads allocated {allocated} bytes for {Frames} frames each way through a dgram port");
        rig.AssertAccounted();
    }

    /// <summary>Sends <paramref name="count"/> frames peer -> p0 and p0 -> peer, <see cref="Batch"/> at a time; returns round trips completed.</summary>
    private static long Pump(DgramRig rig, DgramPeer peer, int count)
    {
        byte[] up = DgramRig.Frame(to: 20, from: 10);
        return RoundTrips.Pump(rig.Harness.Ports[0], count, Batch, () =>
        {
            for (int i = 0; i < Batch; i++)
            {
                peer.Send(up);
            }
        }, DgramRig.Frame(to: 10, from: 20), () => peer.Receive(TimeSpan.FromMilliseconds(1)) is not null);
    }
}
