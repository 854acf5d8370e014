using System.Buffers;
using FastBridge.Capture;
using FastBridge.Control;
using FastBridge.Diagnostics;
using FastBridge.Frames;
using FastBridge.Ports;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Capture;

/// <summary>
/// Captures on a running bridge of in-memory ports, from the workers' taps through the stream records to the pcapng
/// file: directions and ports, the frame count, drops when the ring is full (the switched frames untouched), and
/// several captures at once.
/// </summary>
public sealed class CaptureEngineTests
{
    private static readonly MacAddress s_a = Stations.Address(1);
    private static readonly MacAddress s_b = Stations.Address(2);

    [Fact]
    public void A_unicast_frame_is_seen_received_on_its_port_and_sent_by_the_other()
    {
        using var h = new BridgeHarness(3);
        Learn(h);
        CaptureSession session = Attach(h, new CaptureFilter(h.Bridge.MaxPorts));
        byte[] frame = BridgeHarness.Frame(s_b, s_a, 100, mark: 7);
        h.Inject(0, frame);
        h.Settle();
        h.Bridge.Captures.Detach(session);

        (List<PcapngBlocks.Block> blocks, _) = ToPcapng(h, session);
        string[] interfaces = blocks.Where(b => b.Type == 1).Select(PcapngBlocks.InterfaceName).ToArray();
        Assert.Equal(["p0", "p1", "p2"], interfaces); // every watched port described, in id order
        var packets = blocks.Where(b => b.Type == 6).Select(PcapngBlocks.Packet).ToList();
        Assert.Equal(2, packets.Count);
        Assert.Contains(packets, p => p.Interface == 0 && p.Flags == 1 && p.Data.SequenceEqual(frame)); // received on p0
        Assert.Contains(packets, p => p.Interface == 1 && p.Flags == 2 && p.Data.SequenceEqual(frame)); // sent by p1
        Assert.All(packets, p => Assert.Equal(frame.Length, p.OriginalLength));
        long now = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
        Assert.All(packets, p => Assert.InRange(p.Time, now - 60_000_000_000L, now + 1_000_000_000L));
    }

    [Fact]
    public void The_count_ends_the_stream_and_the_snap_length_cuts_copies()
    {
        using var h = new BridgeHarness(2);
        Learn(h);
        var session = new CaptureSession(new CaptureFilter(h.Bridge.MaxPorts, ports: [0]), h.Bridge.WorkerCount, 64 * 1024, snaplen: 20, count: 3, h.Bridge.MaxPorts);
        h.Bridge.Captures.Attach(session);
        for (int i = 0; i < 5; i++)
        {
            h.Inject(0, BridgeHarness.Frame(s_b, s_a, 64, mark: (byte)i));
        }

        h.Settle();
        h.Bridge.Captures.Detach(session);

        (List<PcapngBlocks.Block> blocks, _) = ToPcapng(h, session);
        var packets = blocks.Where(b => b.Type == 6).Select(PcapngBlocks.Packet).ToList();
        Assert.Equal(3, packets.Count);
        Assert.True(session.Done);
        Assert.All(packets, p => Assert.Equal((20, 64, 1u), (p.Data.Length, p.OriginalLength, p.Flags)));
        Assert.Equal(["p0"], blocks.Where(b => b.Type == 1).Select(PcapngBlocks.InterfaceName));
    }

    [Fact]
    public void A_full_ring_drops_copies_and_counts_them_while_every_frame_is_switched()
    {
        using var h = new BridgeHarness(2, queueSize: 4096);
        Learn(h);
        CaptureSession session = Attach(h, new CaptureFilter(h.Bridge.MaxPorts), ringBytes: CaptureRing.MinCapacity);
        const int Frames = 400; // 2 copies of 400 frames of 1000 bytes: far more than a 4 KiB ring per worker holds
        for (int i = 0; i < Frames; i++)
        {
            h.Inject(0, BridgeHarness.Frame(s_b, s_a, 1000));
        }

        h.Settle();
        h.Bridge.Captures.Detach(session);

        Assert.Equal(Frames, h.Drain(1).Count); // every frame switched: the capture never holds one back
        BridgeCounters counters = h.Bridge.ReadCounters();
        PortCounters p0 = counters.Ports.Single(p => p.Name == "p0"), p1 = counters.Ports.Single(p => p.Name == "p1");
        Assert.Equal(p0.RxFrames, p0.Forwarded + p0.IngressDrops);
        Assert.Equal(p1.TxOffered, p1.TxFrames + p1.EgressDrops);
        Assert.Equal(0, p0.IngressDrops + p1.EgressDrops);

        List<CapturePortTotals> totals = session.Totals(h.Bridge.PortNameOf);
        CapturePortTotals in0 = totals.Single(t => t.Name == "p0"), out1 = totals.Single(t => t.Name == "p1");
        Assert.True(in0.Dropped > 0 && out1.Dropped > 0, $"dropped: p0 {in0.Dropped}, p1 {out1.Dropped}");
        Assert.Equal(in0.Dropped, p0[Counter.CaptureDropped]); // the same drops in the counter schema
        Assert.Equal(out1.Dropped, p1[Counter.CaptureDropped]);
        Assert.Equal(Frames, in0.Matched);

        (List<PcapngBlocks.Block> blocks, long dropped) = ToPcapng(h, session);
        int written = blocks.Count(b => b.Type == 6);
        Assert.Equal(2 * Frames, written + dropped); // each copy written or counted as dropped
        List<PcapngBlocks.Block> stats = blocks.Where(b => b.Type == 5).ToList();
        Assert.Equal(2, stats.Count);
        ulong ifdrop = stats.Select(s => PcapngBlocks.U64(PcapngBlocks.Value(PcapngBlocks.Options(s.Body, 12), 5))).Aggregate((x, y) => x + y);
        Assert.Equal((ulong)dropped, ifdrop);
    }

    [Fact]
    public void Two_captures_at_once_each_see_their_own_selection()
    {
        using var h = new BridgeHarness(3);
        Learn(h);
        CaptureSession onP2 = Attach(h, new CaptureFilter(h.Bridge.MaxPorts, ports: [2]));
        CaptureSession ofB = Attach(h, new CaptureFilter(h.Bridge.MaxPorts, mac: s_b));
        MacAddress c = Stations.Address(3);
        h.Inject(2, BridgeHarness.Frame(s_a, c));  // c (p2) -> s_a (p0)
        h.Inject(0, BridgeHarness.Frame(s_b, s_a));  // s_a (p0) -> s_b (p1)
        h.Settle();
        h.Bridge.Captures.Detach(onP2);
        Assert.Equal(1, h.Bridge.Captures.Count);
        h.Bridge.Captures.Detach(ofB);
        Assert.Equal(0, h.Bridge.Captures.Count);

        var p2Packets = ToPcapng(h, onP2).Blocks.Where(b => b.Type == 6).Select(PcapngBlocks.Packet).ToList();
        Assert.Equal(1u, Assert.Single(p2Packets).Flags);           // only c's frame, received on p2
        var bPackets = ToPcapng(h, ofB).Blocks.Where(b => b.Type == 6).Select(PcapngBlocks.Packet).ToList();
        Assert.Equal(2, bPackets.Count);                           // s_a -> s_b, in on p0 and out on p1
        Assert.All(bPackets, p => Assert.Equal(s_b, MacAddress.FromBytes(p.Data)));
    }

    /// <summary>Teaches the table where s_a (p0) and s_b (p1) are, and takes the floods that did it.</summary>
    private static void Learn(BridgeHarness h)
    {
        h.Inject(0, BridgeHarness.Frame(MacAddress.Broadcast, s_a));
        h.Inject(1, BridgeHarness.Frame(MacAddress.Broadcast, s_b));
        h.Settle();
        for (int p = 0; p < h.Ports.Length; p++)
        {
            h.Drain(p);
        }
    }

    private static CaptureSession Attach(BridgeHarness h, CaptureFilter filter, int ringBytes = 1 << 20)
    {
        var session = new CaptureSession(filter, h.Bridge.WorkerCount, ringBytes, CaptureVerb.MaxSnaplen, 0, h.Bridge.MaxPorts);
        h.Bridge.Captures.Attach(session);
        return session;
    }

    /// <summary>
    /// What the control side sends (the watched ports announced, the frames, the end event) read back as the CLI
    /// reads it into a pcapng file; returns the file's blocks and the drops it reported.
    /// </summary>
    private static (List<PcapngBlocks.Block> Blocks, long Dropped) ToPcapng(BridgeHarness h, CaptureSession session)
    {
        var stream = new MemoryStream();
        byte[] batch = new byte[Math.Max(1 << 20, session.MaxRecordBytes)];
        int used = 0;
        foreach (MemoryPort port in h.Ports)
        {
            if (session.Filter.Watches(port.Id))
            {
                used += session.Announce(batch.AsSpan(used), port.Id, port.Name);
            }
        }

        stream.Write(batch, 0, used);
        while ((used = session.Drain(batch, h.Bridge.PortNameOf)) > 0)
        {
            stream.Write(batch, 0, used);
        }

        stream.Write(CaptureWire.Event(new CaptureEvent { Event = "end", Reason = "stopped", Ports = session.Totals(h.Bridge.PortNameOf) }));
        var file = new MemoryStream();
        var sink = new PcapngCaptureSink(file, flushEachBlock: false, session.Snaplen, "test", 1);
        var records = new ReadOnlySequence<byte>(stream.ToArray());
        bool more = true;
        while (more && CaptureWire.TryRead(ref records, out uint kind, out ReadOnlySequence<byte> body))
        {
            more = sink.Handle(kind, body);
        }

        Assert.False(more, "no end event");
        Assert.True(records.IsEmpty);
        long dropped = sink.Finish(2);
        return (PcapngBlocks.Read(file.ToArray()), dropped);
    }
}
