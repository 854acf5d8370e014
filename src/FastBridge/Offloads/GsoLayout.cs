using System.Buffers.Binary;

namespace FastBridge.Offloads;

/// <summary>
/// Where the headers of a frame with offload metadata are, checked against the frame: the L3 header behind up to two
/// VLAN tags, the L4 header at <see cref="OffloadInfo.ChecksumStart"/>, and for a super-frame the header length and
/// segment count. Both the TAP receive path (validation) and the segmenter use it, so what was accepted can be cut.
/// </summary>
internal readonly struct GsoLayout
{
    public const byte ProtocolTcp = 6;
    public const byte ProtocolUdp = 17;
    private const ushort EtherTypeIPv4 = 0x0800;
    private const ushort EtherTypeIPv6 = 0x86DD;
    private const int MaxTags = 2;

    /// <summary>
    /// Most datagrams one UDP super-frame may make: the kernel's <c>UDP_MAX_SEGMENTS</c> (128 on 6.18, probed with
    /// UDP_SEGMENT: 129 segments fail with EINVAL), which <c>virtio_net_hdr_to_skb</c> also applies to what a TAP or a
    /// packet socket is given. A guest that asks for more (gso_size 1 over 64 KiB) would cost a segmentation pass per
    /// payload byte: refused.
    /// </summary>
    public const int MaxUdpSegments = 128;

    /// <summary>GSO_BY_FRAGS: a gso_size the kernel reserves for its own use and refuses from a virtio-net header.</summary>
    private const ushort GsoByFrags = 0xFFFF;

    /// <summary>Offset of the IP header.</summary>
    public int L3 { get; init; }

    /// <summary>Offset of the TCP or UDP header (the checksum start).</summary>
    public int L4 { get; init; }

    /// <summary>Bytes of all headers: L4 plus the TCP header's data offset, or plus 8 for UDP.</summary>
    public int HeaderLength { get; init; }

    /// <summary>Payload bytes per segment.</summary>
    public int SegmentSize { get; init; }

    /// <summary>Segments the payload makes (at least 1).</summary>
    public int Count { get; init; }

    public bool IsIPv6 { get; init; }

    public bool IsUdp { get; init; }

    /// <summary>
    /// True when <paramref name="info"/> makes sense for <paramref name="frame"/>: only known flags; the header length
    /// (hdr_len) within the frame; a pending checksum's field lies inside the frame; a super-frame is TCP/IPv4,
    /// TCP/IPv6 or UDP (USO), has a pending checksum at its L4 header, a segment size that is neither 0 nor
    /// GSO_BY_FRAGS, whole headers, and for UDP at most <see cref="MaxUdpSegments"/> datagrams.
    /// </summary>
    /// <remarks>
    /// The hdr_len check matters for a frame passed on whole: a TAP refuses a write whose hdr_len runs past the frame
    /// (<c>tun_get_user</c>: EINVAL), which would count the frame as a transmit error on the TAP rather than as the
    /// sender's bad header. The kernel never sends one.
    /// </remarks>
    public static bool IsValid(in OffloadInfo info, ReadOnlySpan<byte> frame)
    {
        if ((info.Flags & ~(OffloadFlags.NeedsChecksum | OffloadFlags.DataValid)) != 0 || info.HeaderLength > frame.Length)
        {
            return false;
        }

        if ((info.Flags & OffloadFlags.NeedsChecksum) != 0
            && (info.ChecksumStart < 14 || info.ChecksumStart + info.ChecksumOffset + 2 > frame.Length))
        {
            return false;
        }

        return info.Kind switch
        {
            GsoType.None => (info.GsoType & GsoType.Ecn) == 0,
            GsoType.TcpV4 or GsoType.TcpV6 => TryCreate(info, frame, out _),
            GsoType.UdpL4 => (info.GsoType & GsoType.Ecn) == 0 && TryCreate(info, frame, out _),
            _ => false,
        };
    }

    /// <summary>Locates the headers of the super-frame <paramref name="frame"/>; false when they do not match <paramref name="info"/>.</summary>
    public static bool TryCreate(in OffloadInfo info, ReadOnlySpan<byte> frame, out GsoLayout layout)
    {
        layout = default;
        GsoType kind = info.Kind;
        bool udp = kind == GsoType.UdpL4;
        if ((kind is not (GsoType.TcpV4 or GsoType.TcpV6) && !udp)
            || (info.Flags & OffloadFlags.NeedsChecksum) == 0
            || info.GsoSize is 0 or GsoByFrags
            || info.ChecksumOffset != (udp ? 6 : 16)
            || !TryFindL3(frame, out int l3, out ushort etherType))
        {
            return false;
        }

        int l4 = info.ChecksumStart;
        bool v6;
        if (etherType == EtherTypeIPv4 && kind != GsoType.TcpV6)
        {
            if (l3 + 20 > frame.Length || (frame[l3] >> 4) != 4)
            {
                return false;
            }

            int ihl = (frame[l3] & 0x0F) * 4;
            if (ihl < 20 || l3 + ihl != l4 || frame[l3 + 9] != (udp ? ProtocolUdp : ProtocolTcp))
            {
                return false;
            }

            v6 = false;
        }
        else if (etherType == EtherTypeIPv6 && kind != GsoType.TcpV4)
        {
            // Extension headers may sit between the IPv6 header and L4; csum_start says where L4 is.
            if (l3 + 40 > frame.Length || (frame[l3] >> 4) != 6 || l4 < l3 + 40
                || (l4 == l3 + 40 && frame[l3 + 6] != (udp ? ProtocolUdp : ProtocolTcp)))
            {
                return false;
            }

            v6 = true;
        }
        else
        {
            return false;
        }

        int header;
        if (udp)
        {
            header = l4 + 8;
        }
        else
        {
            if (l4 + 20 > frame.Length)
            {
                return false;
            }

            int tcpLength = (frame[l4 + 12] >> 4) * 4;
            if (tcpLength < 20)
            {
                return false;
            }

            header = l4 + tcpLength;
        }

        if (header > frame.Length)
        {
            return false;
        }

        int payload = frame.Length - header;
        int count = payload == 0 ? 1 : (payload + info.GsoSize - 1) / info.GsoSize;
        if (udp && count > MaxUdpSegments)
        {
            return false;
        }

        layout = new GsoLayout
        {
            L3 = l3,
            L4 = l4,
            HeaderLength = header,
            SegmentSize = info.GsoSize,
            Count = count,
            IsIPv6 = v6,
            IsUdp = udp,
        };
        return true;
    }

    /// <summary>Skips up to two VLAN tags (802.1Q, 802.1ad, QinQ) after the MAC addresses.</summary>
    private static bool TryFindL3(ReadOnlySpan<byte> frame, out int l3, out ushort etherType)
    {
        int offset = 12;
        l3 = 0;
        etherType = 0;
        for (int tags = 0; ; tags++)
        {
            if (offset + 2 > frame.Length)
            {
                return false;
            }

            etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[offset..]);
            if (etherType is not (0x8100 or 0x88A8 or 0x9100))
            {
                l3 = offset + 2;
                return true;
            }

            if (tags == MaxTags)
            {
                return false;
            }

            offset += 4;
        }
    }
}
