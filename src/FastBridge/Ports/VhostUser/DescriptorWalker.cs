using System.Runtime.CompilerServices;

namespace FastBridge.Ports.VhostUser;

/// <summary>One guest buffer of a descriptor chain, translated to a pointer here.</summary>
internal struct BufferSegment
{
    public nint Address;
    public uint Length;
}

/// <summary>One split-ring descriptor as the guest wrote it (virtio 1.x 2.7.5), copied out of guest memory once.</summary>
[System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
internal struct Descriptor
{
    public ulong Address;
    public uint Length;
    public ushort Flags;
    public ushort Next;
}

/// <summary>Why a descriptor chain was refused.</summary>
internal enum WalkError : byte
{
    None = 0,

    /// <summary>A head or next index beyond the table.</summary>
    BadIndex,

    /// <summary>A buffer or an indirect table not inside guest memory (one region, or regions adjacent in guest-physical space).</summary>
    BadAddress,

    /// <summary>More steps than the table has entries: a loop.</summary>
    Loop,

    /// <summary>An indirect table not negotiated, empty, misaligned in length, nested, or combined with NEXT.</summary>
    BadIndirect,

    /// <summary>A device-writable buffer where the device reads, or the reverse.</summary>
    WrongDirection,

    /// <summary>More buffers than the walker takes in one chain.</summary>
    TooManySegments,
}

/// <summary>
/// Walks one split-virtqueue descriptor chain (direct or through an indirect table) into translated segments.
/// </summary>
/// <remarks>
/// Trust boundary: the table lives in guest memory and the guest may rewrite it while we walk, so each 16-byte
/// descriptor is read once into a local and only that copy is used (no double fetch). The walk is bounded by the table
/// size (a loop ends as <see cref="WalkError.Loop"/>), every index is checked before use, indirect tables are validated
/// (length a non-zero multiple of 16, inside guest memory, not nested, not with NEXT), and every buffer is translated
/// through <see cref="GuestMemory.Translate"/>, which refuses anything not wholly inside one region; such a buffer is
/// then cut at region borders by <see cref="GuestMemory.TrySplit"/> when the regions are adjacent in guest-physical
/// space (a segment per piece), else refused. An indirect table across adjacent regions is walked in place too: it is
/// first checked to lie wholly in guest memory (<see cref="GuestMemory.Covers"/>), then each descriptor is copied out
/// through the region table (<see cref="GuestMemory.TryCopy"/>, a descriptor may itself straddle the border), where
/// DPDK copies such a table into a buffer it allocates; no allocation here, and the common case (one region) reads
/// through one pointer as before. Zero-length buffers are skipped. The sum of lengths is a ulong of at most
/// segments × 4 GiB: it cannot overflow.
/// Fuzz entry point: <see cref="Walk"/> over a <see cref="GuestMemory.Unowned"/> view of a buffer.
/// Performance: no allocation; the segments go into the caller's span.
/// </remarks>
internal static unsafe class DescriptorWalker
{
    public const ushort FlagNext = 1;
    public const ushort FlagWrite = 2;
    public const ushort FlagIndirect = 4;
    public const int DescriptorSize = 16;

    /// <summary>Most buffers of one chain (Linux uses at most MAX_SKB_FRAGS + 2 = 19).</summary>
    public const int MaxSegments = 64;

    /// <summary>
    /// Walks the chain at <paramref name="head"/> of the table at <paramref name="table"/> (<paramref name="size"/>
    /// entries). <paramref name="deviceWrites"/>: every buffer must be device-writable (the RX ring), else readable.
    /// </summary>
    public static WalkError Walk(GuestMemory memory, nint table, uint size, uint head, bool indirectAllowed, bool deviceWrites,
        Span<BufferSegment> segments, out int count, out ulong total)
    {
        count = 0;
        total = 0;
        if (head >= size)
        {
            return WalkError.BadIndex;
        }

        nint current = table;     // the table's descriptors through one pointer; 0 for an indirect table across regions
        ulong splitTable = 0;      // then: the table's guest-physical address, each descriptor read through the regions
        uint limit = size;
        uint index = head;
        bool inIndirect = false;
        Descriptor descriptor;
        for (uint steps = 0; ; steps++)
        {
            if (steps >= limit)
            {
                return WalkError.Loop;
            }

            if (current != 0)
            {
                descriptor = Unsafe.ReadUnaligned<Descriptor>((byte*)current + (index * DescriptorSize));
            }
            else if (!memory.TryCopy(splitTable + (index * DescriptorSize), new Span<byte>(&descriptor, DescriptorSize)))
            {
                return WalkError.BadAddress; // not reached: Covers checked the whole table (index < limit, no overflow)
            }

            ulong address = descriptor.Address;
            uint length = descriptor.Length;
            ushort flags = descriptor.Flags;
            ushort next = descriptor.Next;

            if ((flags & FlagIndirect) != 0)
            {
                if (!indirectAllowed || inIndirect || (flags & FlagNext) != 0 || length == 0 || length % DescriptorSize != 0)
                {
                    return WalkError.BadIndirect;
                }

                nint indirect = memory.Translate(address, length);
                if (indirect == 0)
                {
                    // Not inside one region: perhaps across adjacent ones (read a descriptor at a time), else refused.
                    if (!memory.Covers(address, length))
                    {
                        return WalkError.BadAddress;
                    }

                    splitTable = address;
                }

                current = indirect;
                limit = length / DescriptorSize;
                index = 0;
                steps = uint.MaxValue; // the loop's increment makes it 0: the indirect table's own bound starts
                inIndirect = true;
                continue;
            }

            if (((flags & FlagWrite) != 0) != deviceWrites)
            {
                return WalkError.WrongDirection;
            }

            if (length != 0)
            {
                nint pointer = memory.Translate(address, length);
                if (pointer == 0)
                {
                    // Not inside one region: perhaps across adjacent ones (one segment per region), else refused.
                    WalkError split = memory.TrySplit(address, length, segments, ref count);
                    if (split != WalkError.None)
                    {
                        return split;
                    }
                }
                else
                {
                    if (count == segments.Length)
                    {
                        return WalkError.TooManySegments;
                    }

                    segments[count].Address = pointer;
                    segments[count].Length = length;
                    count++;
                }

                total += length;
            }

            if ((flags & FlagNext) == 0)
            {
                return WalkError.None;
            }

            if (next >= limit)
            {
                return WalkError.BadIndex;
            }

            index = next;
        }
    }
}
