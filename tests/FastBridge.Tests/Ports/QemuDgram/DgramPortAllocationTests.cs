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
        long before = WorkerAllocations(rig);
        Assert.Equal(Frames, Pump(rig, peer, Frames));
        long[] passes = rig.Bridge.Workers.Select(w => w.Passes).ToArray();
        foreach (var worker in rig.Bridge.Workers)
        {
            worker.Wake(); // each samples its allocation count at the top of a pass
        }

        Assert.True(EndToEnd.WaitFor(() => rig.Bridge.Workers.Select((w, i) => w.Passes > passes[i] + 1).All(b => b), DgramRig.Timeout));
        long allocated = WorkerAllocations(rig) - before;
        Assert.True(allocated == 0, $"the worker threads allocated {allocated} bytes for {Frames} frames each way through a dgram port");
        rig.AssertAccounted();
    }

    /// <summary>Sends <paramref name="count"/> frames peer -> p0 and p0 -> peer, <see cref="Batch"/> at a time; returns round trips completed.</summary>
    private static long Pump(DgramRig rig, DgramPeer peer, int count)
    {
        byte[] up = DgramRig.Frame(to: 20, from: 10);
        byte[] down = DgramRig.Frame(to: 10, from: 20);
        var p0 = rig.Harness.Ports[0];
        long done = 0;
        long deadline = Environment.TickCount64 + 120_000;
        while (done < count && Environment.TickCount64 < deadline)
        {
            for (int i = 0; i < Batch; i++)
            {
                peer.Send(up);
                Assert.True(p0.TryInject(down));
            }

            int taken = 0;
            int received = 0;
            while ((taken < Batch || received < Batch) && Environment.TickCount64 < deadline)
            {
                while (taken < Batch && p0.TryTake(out Packet packet))
                {
                    packet.Release();
                    taken++;
                }

                if (received < Batch && peer.Receive(TimeSpan.FromMilliseconds(1)) is not null)
                {
                    received++;
                }
            }

            done += Math.Min(taken, received);
        }

        return done;
    }

    private static long WorkerAllocations(DgramRig rig) => rig.Bridge.Workers.Sum(w => w.AllocatedBytes);
}
