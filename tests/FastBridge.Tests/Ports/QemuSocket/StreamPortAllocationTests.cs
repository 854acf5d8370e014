using FastBridge.Buffers;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Ports.QemuSocket;

/// <summary>
/// The worker side of a stream port allocates nothing per frame: 102,400 frames each way between a socket peer and a
/// memory port, and the worker threads' allocation counters do not move. (The socket side's async loops run on the
/// thread pool and are not the dataplane.)
/// </summary>
[Collection(nameof(QuietCollection))]
public sealed class StreamPortAllocationTests
{
    private const int Frames = 102_400; // whole batches
    private const int Batch = 64;

    [Fact]
    public void Frames_both_ways_allocate_nothing_on_the_workers()
    {
        using var rig = new StreamRig(workers: 2, ringSize: 4096);
        using StreamPeer peer = rig.Connect();
        peer.SendFrame(StreamRig.Broadcast(from: 10));
        rig.Harness.Inject(0, StreamRig.Broadcast(from: 20));
        Assert.True(EndToEnd.WaitFor(() => rig.Bridge.MacTable.Lookup(Stations.Mac(10), 0) == rig.Port.Id
            && rig.Bridge.MacTable.Lookup(Stations.Mac(20), 0) == rig.Harness.Ports[0].Id, StreamRig.Timeout));
        rig.Harness.Drain(0);
        rig.Harness.Drain(1);
        Assert.NotNull(peer.ReceiveFrame(StreamRig.Timeout));

        Pump(rig, peer, Frames / 10); // warm-up: JIT tiers, first-use allocations

        // A per-frame allocation shows in every window (>= 102,400 bytes); a one-time one (a type's first use, a socket
        // continuation run inline on a worker once under load) lands in one window at most: up to three windows, one
        // of which must be clean.
        var windows = new List<long>();
        for (int window = 0; window < 3 && (windows.Count == 0 || windows[^1] != 0); window++)
        {
            windows.Add(WorkerAllocations.During(rig.Bridge, () => Assert.Equal(Frames, Pump(rig, peer, Frames))));
        }

        Assert.True(windows[^1] == 0,
            $"the worker threads allocated {string.Join(", ", windows)} bytes in windows of {Frames} frames each way through a stream port");
        rig.AssertAccounted();
    }

    /// <summary>Sends <paramref name="count"/> frames peer -> p0 and p0 -> peer, <see cref="Batch"/> at a time; returns round trips completed.</summary>
    private static long Pump(StreamRig rig, StreamPeer peer, int count)
    {
        byte[] up = StreamPeer.Framed([.. Enumerable.Repeat(StreamRig.Frame(to: 20, from: 10), Batch)]);
        return RoundTrips.Pump(rig.Harness.Ports[0], count, Batch, () => peer.SendRaw(up), StreamRig.Frame(to: 10, from: 20),
            () => peer.ReceiveFrame(TimeSpan.FromMilliseconds(1)) is not null);
    }
}
