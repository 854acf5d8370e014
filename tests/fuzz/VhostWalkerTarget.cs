using System.Buffers.Binary;
using System.Runtime.InteropServices;
using FastBridge.Ports.VhostUser;

namespace FastBridge.Fuzz;

/// <summary>
/// The <c>vhost-walker</c> target: <see cref="DescriptorWalker.Walk"/> on a guest-written descriptor table, against a
/// reference walk written from the virtio 1.x split-ring rules and the walker's documented refusals.
/// </summary>
/// <remarks>
/// <para>
/// Guest memory is one pinned 16 KiB buffer seen as two regions: guest-physical 0x10000 (the first 8 KiB) and
/// 0x10000 + 8 KiB + a gap the input chooses (the second 8 KiB), so a chain can point into either, between them, across
/// their border (two pieces when the gap is 0, refused otherwise; an indirect table likewise) or anywhere in the 64-bit space. The input's bytes from offset 8 on fill the buffer; the descriptor
/// table sits at buffer offset 64 (a guest's table lives in its memory too, so indirect tables, descriptors and
/// payload all come from the same bytes). Bytes 0-7: the table size (1 to 256 entries, a power of two), the head index
/// (16 bits), the flags (indirect allowed, device-writes), the gap, and a segment budget (1 to 64).
/// </para>
/// <para>
/// Invariants (a violation throws, which AFL records as a crash): the walker does not throw and ends; it returns the
/// same verdict as the reference; on success the same segments in the same order, each wholly inside one region of
/// the buffer, their lengths summing to the total; on failure no segment beyond the budget. The ring walks' fast path
/// (<see cref="RingCopy.WholeBuffer"/>) takes a chain only where the walker finds exactly that one segment.
/// </para>
/// <para>
/// A device-readable chain that walked is then copied as the port's Receive copies it (<see cref="CheckCopy"/>: the
/// virtio-net header onto the offload metadata, a UDP or TCP super-frame cut as for a port without offloads).
/// Byte 6 bit 0 picks a 10-byte header (no VERSION_1, no MRG_RXBUF) over the 12-byte one.
/// </para>
/// </remarks>
internal static partial class VhostWalkerTarget
{
    private const int BufferSize = 16 * 1024;
    private const int RegionSize = BufferSize / 2;
    private const int TableOffset = 64;
    private const ulong Region0 = 0x10000;

    private static readonly byte[] s_buffer = GC.AllocateArray<byte>(BufferSize, pinned: true);
    private static readonly BufferSegment[] s_segments = new BufferSegment[DescriptorWalker.MaxSegments];

    public static void Run(byte[] input)
    {
        if (input.Length < 8)
        {
            return;
        }

        uint size = 1u << (input[0] % 9);
        uint head = BinaryPrimitives.ReadUInt16LittleEndian(input.AsSpan(1));
        bool indirectAllowed = (input[3] & 1) != 0;
        bool deviceWrites = (input[3] & 2) != 0;
        ulong region1 = Region0 + RegionSize + ((ulong)input[4] * 4096);
        int budget = 1 + (input[5] % DescriptorWalker.MaxSegments);

        Array.Clear(s_buffer);
        input.AsSpan(8, Math.Min(input.Length - 8, BufferSize)).CopyTo(s_buffer);
        nint host = Marshal.UnsafeAddrOfPinnedArrayElement(s_buffer, 0);
        using var memory = GuestMemory.Unowned(
            new GuestRegion(Region0, RegionSize, Region0, host),
            new GuestRegion(region1, RegionSize, region1, host + RegionSize));

        Span<BufferSegment> segments = s_segments.AsSpan(0, budget);
        segments.Clear();
        WalkError error = DescriptorWalker.Walk(memory, host + TableOffset, size, head, indirectAllowed, deviceWrites,
            segments, out int count, out ulong total);

        var expected = new List<(int Offset, uint Length)>();
        WalkError reference = Reference(size, head, indirectAllowed, deviceWrites, budget, region1, expected);
        if (error != reference)
        {
            throw new InvalidOperationException($"walker says {error}, the reference {reference} (size {size}, head {head}, indirect {indirectAllowed}, writes {deviceWrites}, budget {budget})");
        }

        // The ring walks' fast path (a chain of one plain descriptor, no loop) must agree with the walker wherever it
        // takes a chain: the walker finds exactly that one segment there. Its prefetch hint must not fault either.
        nint whole = RingCopy.WholeBuffer(memory, host + TableOffset, size, head, deviceWrites, out uint wholeLength);
        if (whole != 0 && (error != WalkError.None || count != 1 || segments[0].Address != whole || segments[0].Length != wholeLength))
        {
            throw new InvalidOperationException($"the fast path took {wholeLength} bytes at {whole - host}, the walker says {error} with {count} segments");
        }

        RingCopy.PrefetchBuffer(memory, host + TableOffset, size, head);

        if (count < 0 || count > budget)
        {
            throw new InvalidOperationException($"{count} segments reported for a budget of {budget}");
        }

        if (error != WalkError.None)
        {
            return;
        }

        if (count != expected.Count)
        {
            throw new InvalidOperationException($"walker found {count} segments, the reference {expected.Count}");
        }

        ulong sum = 0;
        for (int i = 0; i < count; i++)
        {
            long offset = segments[i].Address - host;
            uint length = segments[i].Length;
            bool inOne = offset >= 0 && ((offset + length <= RegionSize) || (offset >= RegionSize && offset + length <= BufferSize));
            if (!inOne || offset != expected[i].Offset || length != expected[i].Length)
            {
                throw new InvalidOperationException($"segment {i}: buffer offset {offset} length {length}, the reference {expected[i]}");
            }

            sum += length;
        }

        if (sum != total)
        {
            throw new InvalidOperationException($"total {total}, the segments sum to {sum}");
        }

        if (!deviceWrites)
        {
            CheckCopy(memory, host + TableOffset, size, head, indirectAllowed, (input[6] & 1) != 0 ? 10 : 12, segments[..count], total);
        }
    }

    /// <summary>The same walk on the managed buffer, written from the rules rather than from the walker.</summary>
    private static WalkError Reference(uint size, uint head, bool indirectAllowed, bool deviceWrites, int budget, ulong region1,
        List<(int Offset, uint Length)> segments)
    {
        if (head >= size)
        {
            return WalkError.BadIndex;
        }

        int table = TableOffset;
        uint entries = size;
        uint index = head;
        uint visited = 0;
        bool indirect = false;
        while (true)
        {
            if (visited++ >= entries)
            {
                return WalkError.Loop;   // more descriptors than the table holds: the chain revisits one
            }

            ReadOnlySpan<byte> d = s_buffer.AsSpan(table + (int)(index * 16), 16);
            ulong address = BinaryPrimitives.ReadUInt64LittleEndian(d);
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(d[8..]);
            ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(d[12..]);
            ushort next = BinaryPrimitives.ReadUInt16LittleEndian(d[14..]);
            bool hasNext = (flags & DescriptorWalker.FlagNext) != 0;

            if ((flags & DescriptorWalker.FlagIndirect) != 0)
            {
                if (!indirectAllowed || indirect || hasNext || length == 0 || length % 16 != 0)
                {
                    return WalkError.BadIndirect;
                }

                int at = Offset(address, length, region1);
                if (at < 0 && Across(address, length, region1))
                {
                    at = (int)(address - Region0); // across the border of adjacent regions: contiguous in this buffer
                }

                if (at < 0)
                {
                    return WalkError.BadAddress;
                }

                table = at;
                entries = length / 16;
                index = 0;
                visited = 0;
                indirect = true;
                continue;
            }

            if (((flags & DescriptorWalker.FlagWrite) != 0) != deviceWrites)
            {
                return WalkError.WrongDirection;
            }

            if (length != 0)
            {
                int at = Offset(address, length, region1);
                if (at >= 0)
                {
                    if (segments.Count == budget)
                    {
                        return WalkError.TooManySegments;
                    }

                    segments.Add((at, length));
                }
                else if (Across(address, length, region1))
                {
                    // No gap: a buffer from region 0 into region 1 is two pieces, one per region.
                    if (segments.Count + 2 > budget)
                    {
                        return WalkError.TooManySegments;
                    }

                    uint low = (uint)(region1 - address);
                    segments.Add(((int)(address - Region0), low));
                    segments.Add((RegionSize, length - low));
                }
                else
                {
                    return WalkError.BadAddress;
                }
            }

            if (!hasNext)
            {
                return WalkError.None;
            }

            if (next >= entries)
            {
                return WalkError.BadIndex;
            }

            index = next;
        }
    }

    /// <summary>
    /// Whether guest-physical [address, address + length), not inside one region, runs from region 0 into region 1 with
    /// no gap between them (then it is two pieces, contiguous in this buffer).
    /// </summary>
    private static bool Across(ulong address, ulong length, ulong region1) =>
        region1 == Region0 + RegionSize && address >= Region0 && address < region1 && length > region1 - address
        && length - (region1 - address) <= RegionSize;

    /// <summary>Buffer offset of guest-physical [address, address + length) when it lies inside one region, else -1.</summary>
    private static int Offset(ulong address, ulong length, ulong region1)
    {
        if (address >= Region0 && address - Region0 < RegionSize && length <= RegionSize - (address - Region0))
        {
            return (int)(address - Region0);
        }

        if (address >= region1 && address - region1 < RegionSize && length <= RegionSize - (address - region1))
        {
            return RegionSize + (int)(address - region1);
        }

        return -1;
    }
}
