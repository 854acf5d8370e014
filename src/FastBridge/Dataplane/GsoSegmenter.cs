using System.Buffers.Binary;
using FastBridge.Buffers;
using FastBridge.Offloads;

namespace FastBridge.Dataplane;

/// <summary>
/// Software GSO: cuts a TCP or UDP super-frame into frames of at most <see cref="GsoLayout.SegmentSize"/> payload bytes,
/// each in a fresh pool buffer with complete headers and checksums, as the kernel's <c>tcp_gso_segment</c> and
/// <c>__udp_gso_segment</c> do.
/// </summary>
/// <remarks>
/// Per segment k of n: the headers are copied from the super-frame (Ethernet and any VLAN tags, IP with options or
/// extension headers, TCP with options), then IPv4 gets its total length, identification + k and a new header
/// checksum; IPv6 its payload length; TCP the sequence number + k × segment size, FIN and PSH only on the last segment
/// and CWR only on the first; UDP its length. The L4 checksum is computed from scratch with the segment's
/// pseudo-header (what the super-frame's checksum field held is ignored). Segments carry no offload metadata.
/// Performance: one copy and one checksum pass per payload byte; no allocation.
/// </remarks>
internal static class GsoSegmenter
{
    private const byte TcpFin = 0x01;
    private const byte TcpPsh = 0x08;
    private const byte TcpCwr = 0x80;

    /// <summary>
    /// Writes segments <paramref name="next"/>, <paramref name="next"/>+1, ... of <paramref name="frame"/> into
    /// <paramref name="output"/> until it is full, the frame is done or <paramref name="pool"/> has no buffer left;
    /// advances <paramref name="next"/> and returns how many it wrote.
    /// </summary>
    public static int Segment(PacketPool pool, ReadOnlySpan<byte> frame, in GsoLayout layout, ref int next, Span<Packet> output)
    {
        int header = layout.HeaderLength;
        int payload = frame.Length - header;
        int written = 0;
        while (next < layout.Count && written < output.Length)
        {
            int offset = next * layout.SegmentSize;
            int size = Math.Min(layout.SegmentSize, payload - offset);
            if (!pool.TryRent(header + size, out Packet segment))
            {
                break;
            }

            Span<byte> bytes = segment.Buffer[..(header + size)];
            frame[..header].CopyTo(bytes);
            frame.Slice(header + offset, size).CopyTo(bytes[header..]);
            segment.SetLength(header + size);
            FixHeaders(bytes, layout, next, size);
            output[written++] = segment;
            next++;
        }

        return written;
    }

    /// <summary>
    /// Rewrites the headers of segment <paramref name="index"/> (payload <paramref name="size"/> bytes) in place; also
    /// finishes a super-frame that makes a single segment without copying it.
    /// </summary>
    public static void FixHeaders(Span<byte> frame, in GsoLayout layout, int index, int size)
    {
        int l3 = layout.L3;
        int l4 = layout.L4;
        int l4Length = layout.HeaderLength - l4 + size;
        bool last = index == layout.Count - 1;
        ulong pseudo;
        if (layout.IsIPv6)
        {
            BinaryPrimitives.WriteUInt16BigEndian(frame[(l3 + 4)..], (ushort)(layout.HeaderLength - l3 - 40 + size));
            pseudo = Checksum.PseudoHeaderV6(frame.Slice(l3 + 8, 32), layout.IsUdp ? GsoLayout.ProtocolUdp : GsoLayout.ProtocolTcp, l4Length);
        }
        else
        {
            int ihl = (frame[l3] & 0x0F) * 4;
            BinaryPrimitives.WriteUInt16BigEndian(frame[(l3 + 2)..], (ushort)(layout.HeaderLength - l3 + size));
            ushort id = BinaryPrimitives.ReadUInt16BigEndian(frame[(l3 + 4)..]);
            BinaryPrimitives.WriteUInt16BigEndian(frame[(l3 + 4)..], (ushort)(id + index));
            frame[l3 + 10] = 0;
            frame[l3 + 11] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(frame[(l3 + 10)..], Checksum.Compute(frame.Slice(l3, ihl)));
            pseudo = Checksum.PseudoHeaderV4(frame.Slice(l3 + 12, 8), layout.IsUdp ? GsoLayout.ProtocolUdp : GsoLayout.ProtocolTcp, l4Length);
        }

        Span<byte> l4Bytes = frame.Slice(l4, l4Length);
        if (layout.IsUdp)
        {
            BinaryPrimitives.WriteUInt16BigEndian(l4Bytes[4..], (ushort)l4Length);
            l4Bytes[6] = 0;
            l4Bytes[7] = 0;
            ushort udpSum = Checksum.Finish(Checksum.Add(l4Bytes, pseudo));
            BinaryPrimitives.WriteUInt16BigEndian(l4Bytes[6..], udpSum == 0 ? (ushort)0xFFFF : udpSum);
            return;
        }

        uint sequence = BinaryPrimitives.ReadUInt32BigEndian(l4Bytes[4..]);
        BinaryPrimitives.WriteUInt32BigEndian(l4Bytes[4..], unchecked(sequence + ((uint)index * (uint)layout.SegmentSize)));
        byte flags = l4Bytes[13];
        if (!last)
        {
            flags &= unchecked((byte)~(TcpFin | TcpPsh));
        }

        if (index != 0)
        {
            flags &= unchecked((byte)~TcpCwr);
        }

        l4Bytes[13] = flags;
        l4Bytes[16] = 0;
        l4Bytes[17] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(l4Bytes[16..], Checksum.Finish(Checksum.Add(l4Bytes, pseudo)));
    }

    /// <summary>
    /// Fills a pending checksum in place: the field holds the pseudo-header sum the sender left there, so the sum runs
    /// from csum_start to the end over it (the kernel's <c>skb_checksum_help</c>); 0 is sent as 0xFFFF.
    /// </summary>
    public static void CompleteChecksum(Span<byte> frame, in OffloadInfo info)
    {
        int start = info.ChecksumStart;
        ushort sum = Checksum.Finish(Checksum.Add(frame[start..]));
        BinaryPrimitives.WriteUInt16BigEndian(frame[(start + info.ChecksumOffset)..], sum == 0 ? (ushort)0xFFFF : sum);
    }
}
