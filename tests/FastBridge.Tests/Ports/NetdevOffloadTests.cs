using System.Buffers.Binary;
using FastBridge.Buffers;
using FastBridge.Diagnostics;
using FastBridge.Offloads;
using FastBridge.Ports.Netdev;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Ports;

/// <summary>
/// Netdev offloads (PACKET_VNET_HDR): the virtio-net header mapped to and from the engine's offload metadata, read from
/// in front of a ring frame with the stripped tag's 4 bytes accounted for, and a ring frame taken into a pool buffer:
/// super-frames kept whole, inconsistent headers and over-MTU frames dropped under their reasons.
/// </summary>
public sealed class NetdevOffloadTests : IDisposable
{
    private const int FrameAt = 48;

    /// <summary>tp_mac as the kernel sets it with a virtio-net header (TPACKET_ALIGN(68 + 16) + 10 - 14).</summary>
    private const int Mac = 92;

    private const int Mtu = 1500;
    private const int MaxFrame = Mtu + 14 + 8;

    private readonly PacketPool _pool = new(64, 4);

    public void Dispose() => _pool.Dispose();

    [Fact]
    public void The_header_maps_field_for_field_both_ways()
    {
        var info = new OffloadInfo
        {
            Flags = OffloadFlags.NeedsChecksum,
            GsoType = GsoType.TcpV4 | GsoType.Ecn,
            HeaderLength = 0x1234,
            GsoSize = 1448,
            ChecksumStart = 34,
            ChecksumOffset = 16,
        };
        byte[] header = new byte[VnetHeader.Size];
        VnetHeader.Write(header, info);
        Assert.Equal(new byte[] { 1, 0x81, 0x34, 0x12, 0xa8, 0x05, 34, 0, 16, 0 }, header);

        Assert.True(VnetHeader.Read(header, tagInserted: false, out OffloadInfo back));
        Assert.Equal(info, back);
    }

    [Fact]
    public void No_offload_is_an_all_zero_header()
    {
        byte[] header = [9, 9, 9, 9, 9, 9, 9, 9, 9, 9];
        VnetHeader.Write(header, default);
        Assert.All(header, b => Assert.Equal(0, b));
        Assert.True(VnetHeader.Read(header, tagInserted: true, out OffloadInfo info));
        Assert.True(info.IsNone);
    }

    [Fact]
    public void A_tag_put_back_moves_the_checksum_start_and_header_length_on_by_four()
    {
        byte[] header = [1, 1, 66, 0, 0xa8, 0x05, 34, 0, 16, 0];
        Assert.True(VnetHeader.Read(header, tagInserted: true, out OffloadInfo info));
        Assert.Equal(38, info.ChecksumStart);
        Assert.Equal(70, info.HeaderLength);
        Assert.Equal(16, info.ChecksumOffset);
        Assert.Equal(1448, info.GsoSize);

        // Data-valid only: nothing to move but the (zero) hint.
        Assert.True(VnetHeader.Read([2, 0, 0, 0, 0, 0, 0, 0, 0, 0], tagInserted: true, out info));
        Assert.Equal(OffloadFlags.DataValid, info.Flags);
        Assert.Equal(0, info.ChecksumStart);
    }

    [Fact]
    public void Offsets_that_would_overflow_with_the_tag_are_refused()
    {
        Assert.False(VnetHeader.Read([1, 0, 0, 0, 0, 0, 0xfe, 0xff, 16, 0], tagInserted: true, out _));
    }

    [Fact]
    public void The_header_must_lie_between_the_ring_header_and_the_frame()
    {
        byte[] block = Block(new byte[60], default, mac: 50);
        Assert.True(RingFrame.TryRead(block, FrameAt, out RingFrame frame));
        Assert.False(frame.TryReadOffload(block, out _));
        Assert.Equal(NetdevPort.Taken.Dropped, Take(block, out _, out DropReason reason));
        Assert.Equal(DropReason.BadRingFrame, reason);
    }

    [Theory]
    [InlineData(false, 0)]
    [InlineData(true, 0)]
    [InlineData(false, 0x6007)]
    public void A_tcp_super_frame_is_taken_whole_with_its_metadata(bool v6, ushort tci)
    {
        FrameBuilder.TransportFrame s = FrameBuilder.Transport(v6, udp: false, payloadLength: 60_000, gsoSize: 1448);
        byte[] block = Block(s.Frame, s.Info, tci: tci);

        Assert.Equal(NetdevPort.Taken.Frame, Take(block, out Packet packet, out _));
        int tag = tci != 0 ? 4 : 0;
        Assert.Equal(s.Frame.Length + tag, packet.Length);
        Assert.Equal(s.Info.GsoType, packet.Offload.GsoType);
        Assert.Equal(s.Info.GsoSize, packet.Offload.GsoSize);
        Assert.Equal(s.Info.ChecksumStart + tag, packet.Offload.ChecksumStart);
        Assert.True(packet.Offload.IsValidFor(packet.Span));
        Assert.Equal(s.Frame.AsSpan(12).ToArray(), packet.Span[(12 + tag)..].ToArray());
        packet.Release();
    }

    [Fact]
    public void A_frame_with_a_pending_checksum_keeps_it_pending()
    {
        FrameBuilder.TransportFrame s = FrameBuilder.Transport(v6: false, udp: true, payloadLength: 100, gsoSize: 0);
        Assert.Equal(NetdevPort.Taken.Frame, Take(Block(s.Frame, s.Info), out Packet packet, out _));
        Assert.Equal(OffloadFlags.NeedsChecksum, packet.Offload.Flags);
        Assert.Equal(GsoType.None, packet.Offload.GsoType);
        packet.Release();
    }

    public static TheoryData<string> Inconsistent => new()
    {
        "gso type tcp4 on a udp frame", "gso size 0", "checksum start past the frame", "unknown gso type",
        "unknown flag", "tcp6 on an ipv4 frame", "checksum offset of udp on tcp", "super-frame without a pending checksum",
    };

    [Theory]
    [MemberData(nameof(Inconsistent))]
    public void A_header_inconsistent_with_its_frame_is_a_counted_drop(string what)
    {
        bool udp = what == "gso type tcp4 on a udp frame";
        FrameBuilder.TransportFrame s = FrameBuilder.Transport(v6: false, udp, payloadLength: 5000, gsoSize: 1448);
        OffloadInfo info = s.Info;
        switch (what)
        {
            case "gso type tcp4 on a udp frame": info.GsoType = GsoType.TcpV4; info.ChecksumOffset = 16; break;
            case "gso size 0": info.GsoSize = 0; break;
            case "checksum start past the frame": info.ChecksumStart = 60_000; break;
            case "unknown gso type": info.GsoType = (GsoType)3; break;
            case "unknown flag": info.Flags |= (OffloadFlags)4; break;
            case "tcp6 on an ipv4 frame": info.GsoType = GsoType.TcpV6; break;
            case "checksum offset of udp on tcp": info.ChecksumOffset = 6; break;
            case "super-frame without a pending checksum": info.Flags = OffloadFlags.None; break;
        }

        Assert.Equal(NetdevPort.Taken.Dropped, Take(Block(s.Frame, info), out Packet packet, out DropReason reason));
        Assert.Equal(DropReason.BadOffload, reason);
        Assert.True(packet.IsNull);
        Assert.Equal(_pool.LargeCount, _pool.LargeAvailable); // the buffer went back
        Assert.Equal(_pool.SmallCount, _pool.SmallAvailable);
    }

    [Fact]
    public void A_frame_over_the_mtu_that_is_not_a_super_frame_is_dropped_as_over_mtu()
    {
        FrameBuilder.TransportFrame s = FrameBuilder.Transport(v6: false, udp: false, payloadLength: 3000, gsoSize: 0);
        Assert.Equal(NetdevPort.Taken.Dropped, Take(Block(s.Frame, s.Info), out _, out DropReason reason));
        Assert.Equal(DropReason.OverMtu, reason);

        // The same without offloads (no header read): over-mtu as well.
        byte[] plain = Block(s.Frame, s.Info);
        Assert.True(RingFrame.TryRead(plain, FrameAt, out RingFrame frame));
        Assert.Equal(NetdevPort.Taken.Dropped, NetdevPort.TakeFrame(plain, frame, _pool, MaxFrame, offloads: false, out _, out reason));
        Assert.Equal(DropReason.OverMtu, reason);
    }

    [Fact]
    public void A_super_frame_the_ring_cut_is_over_mtu_and_one_over_64_KiB_oversize()
    {
        FrameBuilder.TransportFrame s = FrameBuilder.Transport(v6: false, udp: false, payloadLength: 20_000, gsoSize: 1448);
        Assert.Equal(NetdevPort.Taken.Dropped, Take(Block(s.Frame, s.Info, wireLength: s.Frame.Length + 100), out _, out DropReason reason));
        Assert.Equal(DropReason.OverMtu, reason);

        FrameBuilder.TransportFrame big = FrameBuilder.Transport(v6: false, udp: false, payloadLength: 65_500, gsoSize: 1448);
        Assert.Equal(NetdevPort.Taken.Dropped, Take(Block(big.Frame, big.Info), out _, out reason));
        Assert.Equal(DropReason.Oversize, reason);
    }

    [Fact]
    public void A_dry_pool_leaves_the_frame_in_the_ring()
    {
        var rented = new List<Packet>();
        while (_pool.TryRent(PacketPool.LargeBufferSize, out Packet p))
        {
            rented.Add(p);
        }

        FrameBuilder.TransportFrame s = FrameBuilder.Transport(v6: false, udp: false, payloadLength: 20_000, gsoSize: 1448);
        Assert.Equal(NetdevPort.Taken.Wait, Take(Block(s.Frame, s.Info), out _, out _));
        rented.ForEach(p => p.Release());
    }

    private NetdevPort.Taken Take(byte[] block, out Packet packet, out DropReason reason)
    {
        Assert.True(RingFrame.TryRead(block, FrameAt, out RingFrame frame));
        return NetdevPort.TakeFrame(block, frame, _pool, MaxFrame, offloads: true, out packet, out reason);
    }

    /// <summary>
    /// A TPACKET_V3 block holding <paramref name="frame"/> as the kernel writes it with PACKET_VNET_HDR: the header at
    /// tp_mac - 10, a tag (when <paramref name="tci"/> is not 0) taken out of the frame and reported in the ring header.
    /// </summary>
    private static byte[] Block(byte[] frame, OffloadInfo info, ushort tci = 0, int mac = Mac, int wireLength = -1)
    {
        byte[] inRing = frame; // untagged, as the ring holds a frame whose tag the kernel took out (reported aside)
        byte[] block = new byte[1 << 17];
        Span<byte> h = block.AsSpan(FrameAt);
        uint status = RingFrame.StatusUser | (tci != 0 ? RingFrame.StatusVlanValid : 0);
        BinaryPrimitives.WriteUInt32LittleEndian(h[12..], (uint)inRing.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(h[16..], (uint)(wireLength < 0 ? inRing.Length : wireLength));
        BinaryPrimitives.WriteUInt32LittleEndian(h[20..], status);
        BinaryPrimitives.WriteUInt16LittleEndian(h[24..], (ushort)mac);
        BinaryPrimitives.WriteUInt32LittleEndian(h[32..], tci);
        if (mac >= VnetHeader.Size)
        {
            VnetHeader.Write(block.AsSpan(FrameAt + mac - VnetHeader.Size), info);
        }

        inRing.CopyTo(block, FrameAt + mac);
        return block;
    }
}
