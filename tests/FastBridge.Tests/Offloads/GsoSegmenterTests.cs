using System.Buffers.Binary;
using FastBridge.Buffers;
using FastBridge.Dataplane;
using FastBridge.Offloads;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Offloads;

/// <summary>
/// Software segmentation of TCP and UDP super-frames and completion of pending checksums, checked with an independent
/// checksum and header reader: lengths, sequence numbers, IPv4 identification, flags, and the payload put back together.
/// </summary>
public sealed class GsoSegmenterTests : IDisposable
{
    private readonly PacketPool _pool = new(4096, 4);

    public void Dispose() => _pool.Dispose();

    [Theory]
    [InlineData(false, 0, 0, 1448, 64000)]
    [InlineData(false, 12, 0, 1448, 64000)]
    [InlineData(false, 0, 100, 1448, 1448 * 3)]
    [InlineData(false, 0, 0, 536, 5000)]
    [InlineData(true, 0, 0, 1428, 63000)]
    [InlineData(true, 8, 200, 1000, 2001)]
    [InlineData(false, 0, 0, 8000, 60000)]
    public void A_tcp_super_frame_becomes_segments_a_receiver_would_accept(bool v6, int tcpOptions, ushort vlan, int mss, int payload)
    {
        FrameBuilder.TransportFrame s = FrameBuilder.Transport(v6, udp: false, payload, mss, tcpOptions, vlan);
        List<byte[]> segments = Segment(s);

        int expected = (payload + mss - 1) / mss;
        Assert.Equal(expected, segments.Count);
        uint sequence = BinaryPrimitives.ReadUInt32BigEndian(s.Frame.AsSpan(s.L4 + 4));
        var joined = new List<byte>();
        for (int k = 0; k < segments.Count; k++)
        {
            byte[] seg = segments[k];
            int size = Math.Min(mss, payload - (k * mss));
            Assert.Equal(s.HeaderLength + size, seg.Length);
            Assert.True(FrameBuilder.ChecksumsVerify(seg, s.L3, s.L4, v6, udp: false), $"segment {k} checksums");
            Assert.Equal(s.Frame.AsSpan(0, s.L3).ToArray(), seg.AsSpan(0, s.L3).ToArray()); // MACs and tag untouched
            Assert.Equal(unchecked(sequence + (uint)(k * mss)), BinaryPrimitives.ReadUInt32BigEndian(seg.AsSpan(s.L4 + 4)));
            if (!v6)
            {
                Assert.Equal((ushort)(0xFFFE + k), BinaryPrimitives.ReadUInt16BigEndian(seg.AsSpan(s.L3 + 4)));
            }

            byte flags = seg[s.L4 + 13];
            bool first = k == 0;
            bool last = k == segments.Count - 1;
            Assert.Equal(first, (flags & FrameBuilder.TcpCwr) != 0);
            Assert.Equal(last, (flags & FrameBuilder.TcpFin) != 0);
            Assert.Equal(last, (flags & FrameBuilder.TcpPsh) != 0);
            Assert.True((flags & FrameBuilder.TcpAck) != 0);
            joined.AddRange(seg.AsSpan(s.HeaderLength).ToArray());
        }

        Assert.Equal(s.Payload, joined.ToArray());
        Assert.Equal(_pool.SmallCount, _pool.SmallAvailable);
    }

    [Theory]
    [InlineData(false, 1400, 60000)]
    [InlineData(true, 1200, 30001)]
    public void A_udp_super_frame_becomes_datagrams_of_the_segment_size(bool v6, int size, int payload)
    {
        FrameBuilder.TransportFrame s = FrameBuilder.Transport(v6, udp: true, payload, size);
        List<byte[]> segments = Segment(s);

        Assert.Equal((payload + size - 1) / size, segments.Count);
        var joined = new List<byte>();
        foreach (byte[] seg in segments)
        {
            Assert.True(FrameBuilder.ChecksumsVerify(seg, s.L3, s.L4, v6, udp: true));
            Assert.Equal(seg.Length - s.L4, BinaryPrimitives.ReadUInt16BigEndian(seg.AsSpan(s.L4 + 4)));
            joined.AddRange(seg.AsSpan(s.HeaderLength).ToArray());
        }

        Assert.Equal(s.Payload, joined.ToArray());
    }

    [Theory]
    [InlineData(false, false, 1000)]
    [InlineData(false, true, 999)]
    [InlineData(true, false, 1)]
    [InlineData(true, true, 0)]
    public void A_pending_checksum_is_completed_in_place(bool v6, bool udp, int payload)
    {
        FrameBuilder.TransportFrame s = FrameBuilder.Transport(v6, udp, payload, gsoSize: 0);
        byte[] frame = s.Frame.ToArray();
        GsoSegmenter.CompleteChecksum(frame, s.Info);
        Assert.True(FrameBuilder.ChecksumsVerify(frame, s.L3, s.L4, v6, udp));
        Assert.Equal(s.Frame.AsSpan(0, s.L4 + (udp ? 6 : 16)).ToArray(), frame.AsSpan(0, s.L4 + (udp ? 6 : 16)).ToArray());
    }

    [Fact]
    public void Segmentation_stops_when_the_pool_is_dry_and_resumes_where_it_stopped()
    {
        using var pool = new PacketPool(4, 0);
        FrameBuilder.TransportFrame s = FrameBuilder.Transport(v6: false, udp: false, 10 * 1000, 1000);
        Assert.True(GsoLayout.TryCreate(s.Info, s.Frame, out GsoLayout layout));
        var output = new Packet[16];
        int next = 0;
        Assert.Equal(4, GsoSegmenter.Segment(pool, s.Frame, layout, ref next, output));
        Assert.Equal(4, next);
        for (int i = 0; i < 4; i++)
        {
            output[i].Release();
        }

        Assert.Equal(4, GsoSegmenter.Segment(pool, s.Frame, layout, ref next, output));
        Assert.Equal(8, next);
        Assert.Equal(unchecked(0xFFFF_F000u + 4000u), BinaryPrimitives.ReadUInt32BigEndian(output[0].Span[(s.L4 + 4)..]));
        for (int i = 0; i < 4; i++)
        {
            output[i].Release();
        }
    }

    [Theory]
    [InlineData("gso-without-csum")]
    [InlineData("csum-beyond-frame")]
    [InlineData("tcpv6-on-ipv4")]
    [InlineData("unknown-gso")]
    [InlineData("zero-gso-size")]
    [InlineData("unknown-flag")]
    [InlineData("truncated-tcp-header")]
    [InlineData("gso-size-by-frags")]
    [InlineData("hdr-len-beyond-frame")]
    public void Metadata_that_does_not_fit_the_frame_is_refused(string what)
    {
        FrameBuilder.TransportFrame s = FrameBuilder.Transport(v6: false, udp: false, 3000, 1000);
        OffloadInfo info = s.Info;
        byte[] frame = s.Frame;
        switch (what)
        {
            case "gso-without-csum": info.Flags = OffloadFlags.None; break;
            case "csum-beyond-frame": info.ChecksumStart = (ushort)(frame.Length - 10); info.ChecksumOffset = 16; break;
            case "tcpv6-on-ipv4": info.GsoType = GsoType.TcpV6; break;
            case "unknown-gso": info.GsoType = (GsoType)3; break; // UFO
            case "zero-gso-size": info.GsoSize = 0; break;
            case "unknown-flag": info.Flags |= (OffloadFlags)4; break;
            case "truncated-tcp-header": frame = frame[..(s.L4 + 10)]; info.ChecksumOffset = 0; break;
            case "gso-size-by-frags": info.GsoSize = 0xFFFF; break; // GSO_BY_FRAGS: the kernel refuses it too
            case "hdr-len-beyond-frame": info.HeaderLength = (ushort)(frame.Length + 1); break; // a TAP write would fail
        }

        Assert.True(GsoLayout.IsValid(s.Info, s.Frame));
        Assert.False(info.IsValidFor(frame));
    }

    [Theory]
    [InlineData(false, 1280, 10, true)]  // 128 datagrams: the kernel's UDP_MAX_SEGMENTS
    [InlineData(true, 1280, 10, true)]
    [InlineData(false, 1281, 10, false)] // 129
    [InlineData(true, 3000, 1, false)]
    public void A_udp_super_frame_makes_at_most_128_datagrams(bool v6, int payload, int size, bool valid)
    {
        FrameBuilder.TransportFrame s = FrameBuilder.Transport(v6, udp: true, payload, size);
        Assert.Equal(valid, GsoLayout.IsValid(s.Info, s.Frame));
        if (valid)
        {
            Assert.Equal(GsoLayout.MaxUdpSegments, Segment(s).Count);
        }
    }

    private List<byte[]> Segment(FrameBuilder.TransportFrame s)
    {
        Assert.True(GsoLayout.IsValid(s.Info, s.Frame));
        Assert.True(GsoLayout.TryCreate(s.Info, s.Frame, out GsoLayout layout));
        var result = new List<byte[]>();
        var output = new Packet[7];
        int next = 0;
        while (next < layout.Count)
        {
            int made = GsoSegmenter.Segment(_pool, s.Frame, layout, ref next, output);
            Assert.True(made > 0);
            for (int i = 0; i < made; i++)
            {
                Assert.True(output[i].Offload.IsNone);
                result.Add(output[i].Span.ToArray());
                output[i].Release();
            }
        }

        return result;
    }
}
