using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FastBridge.Buffers;
using FastBridge.Dataplane;
using FastBridge.Diagnostics;
using FastBridge.Offloads;
using FastBridge.Ports.VhostUser;

namespace FastBridge.Fuzz;

/// <summary>
/// The second half of <c>vhost-walker</c>: a guest TX chain copied into a pool buffer by <see cref="RingCopy.ChainToPacket"/>
/// and its virtio-net header mapped onto <see cref="Packet.Offload"/>, then finished as the engine finishes it for a
/// port without offloads (<see cref="GsoSegmenter"/>): this is where a guest's TSO and USO (HOST_USO) headers are parsed.
/// </summary>
/// <remarks>
/// Invariants: the verdict is the one the walk and the lengths imply (<c>BadDescriptor</c> for a chain shorter than the
/// header, <c>Oversize</c> over 64 KiB, else <c>None</c> or <c>BadOffload</c>); an accepted frame holds exactly the
/// chain's bytes after the header; its metadata is the header's first 10 bytes when their flags or GSO type are not
/// zero (else untouched), and a refused header is one <see cref="GsoLayout.IsValid"/> refuses; a super-frame that was
/// accepted cuts into <see cref="GsoLayout.Count"/> segments (at most 128 for UDP) of header + gso_size bytes (the last
/// shorter) whose payloads join into the frame's, each with a UDP length, IP lengths and IPv4 header checksum that add
/// up, and an L4 checksum that verifies (an independent RFC 1071 sum); every pool buffer comes back.
/// </remarks>
internal static partial class VhostWalkerTarget
{
    private static readonly BufferSegment[] s_copySegments = new BufferSegment[DescriptorWalker.MaxSegments];
    private static readonly Packet[] s_cut = new Packet[16];
    private static readonly bool s_trace = Environment.GetEnvironmentVariable("FASTBRIDGE_FUZZ_TRACE") == "1";
    private static PacketPool? s_pool;

    private static void CheckCopy(GuestMemory memory, nint table, uint size, uint head, bool indirect, int headerLength,
        ReadOnlySpan<BufferSegment> walked, ulong total)
    {
        PacketPool pool = s_pool ??= new PacketPool(64, 2);
        DropReason reason = RingCopy.ChainToPacket(memory, table, size, head, indirect, headerLength, pool, s_copySegments, out Packet packet);
        if (s_trace)
        {
            Console.Error.WriteLine($"copy: {reason}, {total} bytes with a {headerLength}-byte header, metadata {(reason == DropReason.None ? packet.Offload.GsoType : default)}");
        }

        byte[] bytes = Gather(walked, total);
        DropReason expected = total < (ulong)headerLength ? DropReason.BadDescriptor
            : total - (ulong)headerLength > PacketPool.MaxFrameLength ? DropReason.Oversize
            : DropReason.None;
        if (expected != DropReason.None || reason is not (DropReason.None or DropReason.BadOffload))
        {
            if (reason != expected)
            {
                throw new InvalidOperationException($"copy says {reason}, expected {expected} (total {total}, header {headerLength})");
            }

            return;
        }

        var header = new byte[OffloadInfo.VirtioFieldsSize];
        bytes.AsSpan(0, Math.Min(header.Length, headerLength)).CopyTo(header);
        OffloadInfo info = Unsafe.ReadUnaligned<OffloadInfo>(ref header[0]);
        ReadOnlySpan<byte> frame = bytes.AsSpan(headerLength);
        if (reason == DropReason.BadOffload)
        {
            if (info.IsNone || info.IsValidFor(frame))
            {
                throw new InvalidOperationException("bad-offload for a header that is zero or fits its frame");
            }

            CheckPoolFull(pool);
            return;
        }

        try
        {
            if (!packet.Span.SequenceEqual(frame))
            {
                throw new InvalidOperationException($"the copied frame ({packet.Length} bytes) is not the chain's {frame.Length} bytes after the header");
            }

            if (!info.IsNone && !packet.Offload.Equals(info))
            {
                throw new InvalidOperationException("the header was not mapped onto the frame's metadata");
            }

            if (!info.IsNone && info.Kind != GsoType.None)
            {
                CheckCut(pool, packet.Span, info);
            }
            else if (!info.IsNone && (info.Flags & OffloadFlags.NeedsChecksum) != 0)
            {
                GsoSegmenter.CompleteChecksum(packet.Span, info); // inside the frame: IsValid said so
            }
        }
        finally
        {
            packet.Release();
        }

        CheckPoolFull(pool);
    }

    /// <summary>Cuts an accepted super-frame as the engine does for a port without offloads and checks every segment.</summary>
    private static void CheckCut(PacketPool pool, ReadOnlySpan<byte> frame, in OffloadInfo info)
    {
        if (!GsoLayout.TryCreate(info, frame, out GsoLayout layout))
        {
            throw new InvalidOperationException("an accepted super-frame has no layout");
        }

        int payload = frame.Length - layout.HeaderLength;
        if (layout.IsUdp && layout.Count > GsoLayout.MaxUdpSegments)
        {
            throw new InvalidOperationException($"a UDP super-frame of {layout.Count} datagrams was accepted");
        }

        int next = 0;
        int made = 0;
        while (next < layout.Count)
        {
            int n = GsoSegmenter.Segment(pool, frame, layout, ref next, s_cut);
            if (n == 0)
            {
                throw new InvalidOperationException("the pool ran dry while cutting one super-frame");
            }

            for (int i = 0; i < n; i++)
            {
                int k = made + i;
                int size = Math.Min(layout.SegmentSize, payload - (k * layout.SegmentSize));
                ReadOnlySpan<byte> segment = s_cut[i].Span;
                string? problem = segment.Length != layout.HeaderLength + size ? $"length {segment.Length}, expected {layout.HeaderLength + size}"
                    : !segment[layout.HeaderLength..].SequenceEqual(frame.Slice(layout.HeaderLength + (k * layout.SegmentSize), size)) ? "payload"
                    : SegmentProblem(segment, layout);
                s_cut[i].Release();
                if (problem is not null)
                {
                    throw new InvalidOperationException($"segment {k} of {layout.Count}: {problem}");
                }
            }

            made += n;
        }

        if (s_trace)
        {
            Console.Error.WriteLine($"cut: {made} segments of {layout.SegmentSize} payload bytes ({(layout.IsUdp ? "UDP" : "TCP")}, IPv{(layout.IsIPv6 ? 6 : 4)})");
        }
    }

    /// <summary>What is wrong with a finished segment's lengths and checksums, or null.</summary>
    private static string? SegmentProblem(ReadOnlySpan<byte> s, in GsoLayout layout)
    {
        int l3 = layout.L3;
        int l4 = layout.L4;
        int l4Length = s.Length - l4;
        byte protocol = layout.IsUdp ? (byte)17 : (byte)6;
        uint sum;
        if (layout.IsIPv6)
        {
            if (BinaryPrimitives.ReadUInt16BigEndian(s[(l3 + 4)..]) != s.Length - l3 - 40)
            {
                return "IPv6 payload length";
            }

            sum = Sum(s.Slice(l3 + 8, 32), (uint)protocol + (uint)l4Length);
        }
        else
        {
            int ihl = (s[l3] & 0x0F) * 4;
            if (BinaryPrimitives.ReadUInt16BigEndian(s[(l3 + 2)..]) != s.Length - l3)
            {
                return "IPv4 total length";
            }

            if (Fold(Sum(s.Slice(l3, ihl), 0)) != 0xFFFF)
            {
                return "IPv4 header checksum";
            }

            sum = Sum(s.Slice(l3 + 12, 8), (uint)protocol + (uint)l4Length);
        }

        if (layout.IsUdp && BinaryPrimitives.ReadUInt16BigEndian(s[(l4 + 4)..]) != l4Length)
        {
            return "UDP length";
        }

        return Fold(Sum(s[l4..], sum)) == 0xFFFF ? null : layout.IsUdp ? "UDP checksum" : "TCP checksum";
    }

    /// <summary>RFC 1071 one 16-bit big-endian word at a time (not the engine's vectorised sum).</summary>
    private static uint Sum(ReadOnlySpan<byte> data, uint sum)
    {
        ulong total = sum;
        for (int i = 0; i + 1 < data.Length; i += 2)
        {
            total += (uint)((data[i] << 8) | data[i + 1]);
        }

        if ((data.Length & 1) != 0)
        {
            total += (uint)(data[^1] << 8);
        }

        while ((total >> 16) != 0)
        {
            total = (total & 0xFFFF) + (total >> 16);
        }

        return (uint)total;
    }

    private static ushort Fold(uint sum)
    {
        while ((sum >> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)sum;
    }

    /// <summary>The chain's bytes in order (header and frame), read from the walked segments.</summary>
    private static byte[] Gather(ReadOnlySpan<BufferSegment> walked, ulong total)
    {
        var bytes = new byte[(int)Math.Min(total, (ulong)PacketPool.MaxFrameLength + 64)];
        int at = 0;
        foreach (BufferSegment segment in walked)
        {
            int n = (int)Math.Min(segment.Length, (uint)(bytes.Length - at));
            Marshal.Copy(segment.Address, bytes, at, n);
            at += n;
            if (at == bytes.Length)
            {
                break;
            }
        }

        return bytes;
    }

    private static void CheckPoolFull(PacketPool pool)
    {
        if (pool.SmallAvailable != pool.SmallCount || pool.LargeAvailable != pool.LargeCount)
        {
            throw new InvalidOperationException("a pool buffer was not returned");
        }
    }
}
