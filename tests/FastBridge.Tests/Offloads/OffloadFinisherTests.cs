using System.Collections.Concurrent;
using FastBridge.Buffers;
using FastBridge.Dataplane;
using FastBridge.Diagnostics;
using FastBridge.Offloads;
using FastBridge.Ports;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Offloads;

/// <summary>
/// Frames with offload metadata switched by a running bridge: a port without offloads (MemoryPort) gets complete,
/// segmented frames; a port that accepts offloads gets the frame as it came, metadata and all; counters balance.
/// </summary>
public sealed class OffloadFinisherTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_flooded_super_frame_reaches_an_offload_port_whole_and_a_memory_port_in_segments(bool v6)
    {
        using var bridge = new Bridge(new BridgeOptions { Workers = 2, PoolFrames = 1024, LargePoolFrames = 16 });
        var source = new OffloadSourcePort("src");
        var memory = new MemoryPort("mem");
        var sink = new OffloadSinkPort("sink");
        bridge.AddPort(source);
        bridge.AddPort(memory);
        bridge.AddPort(sink);
        bridge.Start();

        FrameBuilder.TransportFrame s = FrameBuilder.Transport(v6, udp: false, 60000, 1448, tcpOptions: 12);
        source.Send(s.Frame, s.Info);

        int count = (60000 + 1447) / 1448;
        Assert.True(EndToEnd.WaitFor(() => memory.Pending == count && sink.Received.Count == 1, TimeSpan.FromSeconds(10)));
        var joined = new List<byte>();
        long wire = 0;
        var buffer = new byte[PacketPool.LargeBufferSize];
        for (int k = 0; k < count; k++)
        {
            Assert.True(memory.TryTake(buffer, out int length));
            byte[] seg = buffer[..length];
            Assert.True(FrameBuilder.ChecksumsVerify(seg, s.L3, s.L4, v6, udp: false), $"segment {k}");
            joined.AddRange(seg[s.HeaderLength..]);
            wire += length;
        }

        Assert.Equal(s.Payload, joined.ToArray());
        (byte[] whole, OffloadInfo info) = sink.Received.Single();
        Assert.Equal(s.Frame, whole);
        Assert.Equal(s.Info, info);

        Assert.True(EndToEnd.WaitFor(() => bridge.ReadCounters()["mem"]!.TxFrames == 1, TimeSpan.FromSeconds(5)));
        PortCounters mem = bridge.ReadCounters()["mem"]!;
        Assert.Equal(1, mem.TxOffered);
        Assert.Equal(mem.TxOffered, mem.TxFrames + mem.EgressDrops);
        Assert.Equal(wire, mem.TxBytes);
        Assert.Equal(s.Frame.Length, bridge.ReadCounters()["sink"]!.TxBytes);
        Assert.Equal(1, mem[Counter.TxSegmented]);
        Assert.Equal(count, mem[Counter.TxSegments]);
        Assert.Equal(0, bridge.ReadCounters()["sink"]![Counter.TxSegments]);
    }

    [Theory]
    [InlineData(false, 2)] // unicast-like: the memory port is the only other port (filled in place)
    [InlineData(true, 3)]  // flooded to an offload port as well (filled in a copy)
    public void A_pending_checksum_is_filled_for_a_memory_port_only(bool udp, int ports)
    {
        using var bridge = new Bridge(new BridgeOptions { Workers = 1, PoolFrames = 1024 });
        var source = new OffloadSourcePort("src");
        var memory = new MemoryPort("mem");
        var sink = new OffloadSinkPort("sink");
        bridge.AddPort(source);
        bridge.AddPort(memory);
        if (ports == 3)
        {
            bridge.AddPort(sink);
        }

        bridge.Start();
        FrameBuilder.TransportFrame s = FrameBuilder.Transport(v6: false, udp, 700, gsoSize: 0);
        source.Send(s.Frame, s.Info);

        Assert.True(EndToEnd.WaitFor(() => memory.Pending == 1 && sink.Received.Count == ports - 2, TimeSpan.FromSeconds(10)));
        var buffer = new byte[4096];
        Assert.True(memory.TryTake(buffer, out int length));
        Assert.True(FrameBuilder.ChecksumsVerify(buffer.AsSpan(0, length), s.L3, s.L4, v6: false, udp));
        if (ports == 3)
        {
            Assert.Equal(s.Frame, sink.Received.Single().Frame); // untouched: its checksum is still the device's job
            Assert.Equal(s.Info, sink.Received.Single().Info);
        }

        Assert.True(EndToEnd.WaitFor(() => bridge.ReadCounters()["mem"]![Counter.TxChecksumsFilled] == 1, TimeSpan.FromSeconds(5)),
            "the filled checksum was not counted for the memory port");
    }

    /// <summary>A port that emits frames with offload metadata, as a TAP with a virtio-net header does.</summary>
    private sealed class OffloadSourcePort(string name) : Port(name)
    {
        private readonly ConcurrentQueue<(byte[] Frame, OffloadInfo Info)> _queue = new();

        public void Send(byte[] frame, OffloadInfo info)
        {
            _queue.Enqueue((frame, info));
            RequestPoll();
        }

        protected internal override int Receive(PacketPool pool, Span<Packet> burst)
        {
            int n = 0;
            while (n < burst.Length && _queue.TryDequeue(out var item))
            {
                Assert.True(pool.TryRentCopy(item.Frame, out Packet packet));
                packet.Offload = item.Info;
                burst[n++] = packet;
            }

            return n;
        }

        protected internal override void Transmit(ReadOnlySpan<Packet> frames, Span<DropReason> outcome) => outcome.Clear();
    }
}

/// <summary>Finishing and segmenting allocate nothing per frame once the finisher exists.</summary>
public sealed class OffloadFinisherAllocationTests
{
    [Fact]
    public void Segmenting_and_filling_checksums_allocate_nothing()
    {
        using var pool = new PacketPool(1024, 8);
        var finisher = new OffloadFinisher(pool);
        var port = new NullPort();
        FrameBuilder.TransportFrame super = FrameBuilder.Transport(v6: false, udp: false, 60000, 1448);
        FrameBuilder.TransportFrame pending = FrameBuilder.Transport(v6: true, udp: true, 500, 0);
        var frames = new Packet[2];
        var outcome = new DropReason[2];

        void Once()
        {
            Assert.True(pool.TryRentCopy(super.Frame, out frames[0]));
            frames[0].Offload = super.Info;
            Assert.True(pool.TryRentCopy(pending.Frame, out frames[1]));
            frames[1].Offload = pending.Info;
            Array.Clear(outcome);
            finisher.Transmit(port, frames, outcome);
            frames[0].Release();
            frames[1].Release();
        }

        for (int i = 0; i < 100; i++)
        {
            Once();
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            Once();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(1100 * 42, finisher.SegmentsMade);
        Assert.Equal(pool.SmallCount, pool.SmallAvailable);
    }

    private sealed class NullPort() : Port("null")
    {
        protected internal override int Receive(PacketPool pool, Span<Packet> burst) => 0;

        protected internal override void Transmit(ReadOnlySpan<Packet> frames, Span<DropReason> outcome) => outcome.Clear();
    }
}
