using FastBridge.Buffers;
using FastBridge.Diagnostics;
using FastBridge.Frames;
using FastBridge.Ports;
using FastBridge.Switching;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Mirroring;

/// <summary>
/// Mirroring allocates nothing per frame: frames crossing a bridge whose mirror copies them as received and as sent
/// (to an output port on the other worker, through the rings) allocate not one byte on the worker threads.
/// </summary>
[Collection(nameof(QuietCollection))]
public sealed class MirrorZeroAllocationTests
{
    private const int Frames = 300_000;
    private const int InFlight = 256;

    [Fact]
    public void Mirrored_frames_allocate_nothing_per_frame()
    {
        using var bridge = new Bridge(new BridgeOptions { Workers = 2, PoolFrames = 8192 });
        var source = new MemoryPort("src", 4096);
        var peer = new MemoryPort("peer", 4096);
        var output = new MemoryPort("out", 4096, discardTransmitted: true);
        bridge.AddPort(source);
        bridge.AddPort(peer);
        bridge.AddPort(output);
        bridge.SetPortPolicy("peer", new PortPolicy { Vlan = PortVlan.Trunk(VlanSet.Of(10)) }); // tx copies are retagged frames
        bridge.SetPortPolicy("src", new PortPolicy { Vlan = PortVlan.Access(10) });
        bridge.AddMirror(new Mirror { Name = "m", Sources = ["src", "peer"], Output = "out" });
        bridge.Start();
        MacAddress a = Stations.Address(1);
        MacAddress b = Stations.Address(2);
        Assert.True(peer.TryInject(FrameBuilder.Tagged(MacAddress.Broadcast, b, 10)));
        Assert.True(EndToEnd.WaitFor(() => source.Pending == 1, BridgeHarness.Timeout));
        source.TakeArray();
        byte[] frame = BridgeHarness.Frame(b, a, 64);

        Assert.Equal(50_000, Pump(source, peer, frame, 50_000)); // warm-up: JIT tiers, first-use allocations
        long before = WorkerAllocations(bridge);
        Assert.Equal(Frames, Pump(source, peer, frame, Frames));
        long[] passes = [.. bridge.Workers.Select(w => w.Passes)];
        foreach (var worker in bridge.Workers)
        {
            worker.Wake();
        }

        Assert.True(EndToEnd.WaitFor(() => bridge.Workers.Select((w, i) => w.Passes > passes[i] + 1).All(x => x), BridgeHarness.Timeout));
        long allocated = WorkerAllocations(bridge) - before;

        Assert.True(allocated == 0, $"the worker threads allocated {allocated} bytes while mirroring {Frames} frames");
        Assert.True(bridge.ReadCounters()["src"]![Counter.Mirrored] >= Frames + 50_000);
        Assert.True(bridge.ReadCounters()["peer"]![Counter.Mirrored] >= Frames + 50_000);
    }

    private static long WorkerAllocations(Bridge bridge) => bridge.Workers.Sum(w => w.AllocatedBytes);

    /// <summary>Injects <paramref name="count"/> frames on one port and takes them off the other, bounded in time.</summary>
    private static long Pump(MemoryPort into, MemoryPort from, byte[] frame, int count)
    {
        long taken = 0;
        long injected = 0;
        long deadline = Environment.TickCount64 + 120_000;
        while (taken < count && Environment.TickCount64 < deadline)
        {
            while (injected < count && injected - taken < InFlight && into.TryInject(frame))
            {
                injected++;
            }

            while (from.TryTake(out Packet packet))
            {
                packet.Release();
                taken++;
            }
        }

        return taken;
    }
}
