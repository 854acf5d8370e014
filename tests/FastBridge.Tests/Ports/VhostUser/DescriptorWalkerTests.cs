using System.Runtime.InteropServices;
using FastBridge.Ports.VhostUser;

namespace FastBridge.Tests.Ports.VhostUser;

/// <summary>The descriptor walker over a plain buffer standing in for guest memory: chains, indirect tables, and every refusal.</summary>
public sealed unsafe class DescriptorWalkerTests : IDisposable
{
    private const ulong Gpa = 0x1000_0000;
    private const int Size = 64 * 1024;
    private const uint TableSize = 16;
    private const int Indirect = 4096;
    private readonly nint _memory = (nint)NativeMemory.AllocZeroed(Size);
    private readonly GuestMemory _guest;
    private readonly BufferSegment[] _segments = new BufferSegment[DescriptorWalker.MaxSegments];

    public DescriptorWalkerTests()
    {
        _guest = GuestMemory.Unowned(new GuestRegion(Gpa, Size, 0x7000_0000, _memory));
    }

    public void Dispose() => NativeMemory.Free((void*)_memory);

    private void Put(int tableOffset, int index, ulong address, uint length, ushort flags, ushort next)
    {
        byte* d = (byte*)_memory + tableOffset + (index * 16);
        *(ulong*)d = address;
        *(uint*)(d + 8) = length;
        *(ushort*)(d + 12) = flags;
        *(ushort*)(d + 14) = next;
    }

    private WalkError Walk(uint head, bool indirect = true, bool writes = false) =>
        DescriptorWalker.Walk(_guest, _memory, TableSize, head, indirect, writes, _segments, out _, out _);

    [Fact]
    public void A_chain_of_three_buffers_translates_to_three_segments()
    {
        Put(0, 0, Gpa + 8192, 12, DescriptorWalker.FlagNext, 5);
        Put(0, 5, Gpa + 9000, 100, DescriptorWalker.FlagNext, 7);
        Put(0, 7, Gpa + 10000, 0, DescriptorWalker.FlagNext, 8); // zero length: skipped
        Put(0, 8, Gpa + 11000, 50, 0, 0);
        Assert.Equal(WalkError.None, DescriptorWalker.Walk(_guest, _memory, TableSize, 0, true, false, _segments, out int count, out ulong total));
        Assert.Equal(3, count);
        Assert.Equal(162UL, total);
        Assert.Equal(_memory + 9000, _segments[1].Address);
    }

    [Fact]
    public void An_indirect_table_is_followed_within_its_own_bound()
    {
        Put(0, 1, Gpa + Indirect, 3 * 16, DescriptorWalker.FlagIndirect, 0);
        Put(Indirect, 0, Gpa + 8192, 12, DescriptorWalker.FlagNext, 2);
        Put(Indirect, 2, Gpa + 9000, 60, DescriptorWalker.FlagNext, 1);
        Put(Indirect, 1, Gpa + 9500, 60, 0, 0);
        Assert.Equal(WalkError.None, DescriptorWalker.Walk(_guest, _memory, TableSize, 1, true, false, _segments, out int count, out ulong total));
        Assert.Equal(3, count);
        Assert.Equal(132UL, total);
    }

    [Fact]
    public void Indirect_misuse_is_refused()
    {
        Put(0, 1, Gpa + Indirect, 3 * 16, DescriptorWalker.FlagIndirect, 0);
        Put(Indirect, 0, Gpa + 8192, 12, 0, 0);
        Assert.Equal(WalkError.BadIndirect, Walk(1, indirect: false)); // not negotiated
        Put(0, 1, Gpa + Indirect, 3 * 16, DescriptorWalker.FlagIndirect | DescriptorWalker.FlagNext, 2);
        Assert.Equal(WalkError.BadIndirect, Walk(1)); // with NEXT
        Put(0, 1, Gpa + Indirect, 17, DescriptorWalker.FlagIndirect, 0);
        Assert.Equal(WalkError.BadIndirect, Walk(1)); // not a multiple of 16
        Put(0, 1, Gpa + Size - 16, 32, DescriptorWalker.FlagIndirect, 0);
        Assert.Equal(WalkError.BadAddress, Walk(1)); // runs past guest memory
        Put(0, 1, Gpa + Indirect, 16, DescriptorWalker.FlagIndirect, 0);
        Put(Indirect, 0, Gpa + Indirect, 16, DescriptorWalker.FlagIndirect, 0);
        Assert.Equal(WalkError.BadIndirect, Walk(1)); // nested
        Put(0, 1, Gpa + Indirect, 2 * 16, DescriptorWalker.FlagIndirect, 0);
        Put(Indirect, 0, Gpa + 8192, 12, DescriptorWalker.FlagNext, 1);
        Put(Indirect, 1, Gpa + 8192, 12, DescriptorWalker.FlagNext, 0);
        Assert.Equal(WalkError.Loop, Walk(1)); // a loop inside the table
        Put(Indirect, 1, Gpa + 8192, 12, DescriptorWalker.FlagNext, 2);
        Assert.Equal(WalkError.BadIndex, Walk(1)); // next beyond the indirect table
    }

    [Fact]
    public void Loops_bad_indices_addresses_and_directions_are_refused()
    {
        Assert.Equal(WalkError.BadIndex, Walk(TableSize));
        Put(0, 0, Gpa + 8192, 12, DescriptorWalker.FlagNext, 0);
        Assert.Equal(WalkError.Loop, Walk(0));
        Put(0, 0, Gpa + 8192, 12, DescriptorWalker.FlagNext, 16);
        Assert.Equal(WalkError.BadIndex, Walk(0));
        Put(0, 0, Gpa - 1, 12, 0, 0);
        Assert.Equal(WalkError.BadAddress, Walk(0));
        Put(0, 0, Gpa + Size - 4, 8, 0, 0);
        Assert.Equal(WalkError.BadAddress, Walk(0));
        Put(0, 0, ulong.MaxValue - 2, 8, 0, 0);
        Assert.Equal(WalkError.BadAddress, Walk(0));
        Put(0, 0, Gpa + 8192, 12, DescriptorWalker.FlagWrite, 0);
        Assert.Equal(WalkError.WrongDirection, Walk(0, writes: false));
        Put(0, 0, Gpa + 8192, 12, 0, 0);
        Assert.Equal(WalkError.WrongDirection, Walk(0, writes: true));
    }

    [Fact]
    public void Translation_refuses_ranges_that_overflow_or_leave_the_region()
    {
        Assert.Equal(_memory, _guest.Translate(Gpa, Size));
        Assert.Equal(0, _guest.Translate(Gpa, Size + 1));
        Assert.Equal(0, _guest.Translate(Gpa + 1, ulong.MaxValue));
        Assert.Equal(0, _guest.Translate(ulong.MaxValue, 2));
        Assert.Equal(_memory + 10, _guest.TranslateUser(0x7000_000a, 6));
        Assert.Equal(0, _guest.TranslateUser(0x6fff_ffff, 2));
    }

    /// <summary>
    /// Guest RAM split in regions adjacent in guest-physical space but mapped apart here (QEMU below/above a hole): a
    /// buffer across the border becomes one segment per region; across a gap it is refused; a piece budget is kept.
    /// </summary>
    [Fact]
    public void A_buffer_across_adjacent_regions_becomes_a_segment_per_region_and_across_a_gap_is_refused()
    {
        const int Half = Size / 2;
        using GuestMemory split = GuestMemory.Unowned(
            new GuestRegion(Gpa, Half, 0x7000_0000, _memory + Half),          // GPA order and host order reversed
            new GuestRegion(Gpa + Half, Half, 0x7100_0000, _memory));
        Put(0, 0, Gpa + Half - 100, 300, 0, 0);                                  // 100 bytes below the border, 200 above
        Assert.Equal(WalkError.None, DescriptorWalker.Walk(split, _memory, TableSize, 0, true, false, _segments, out int count, out ulong total));
        Assert.Equal(2, count);
        Assert.Equal(300UL, total);
        Assert.Equal((_memory + Half + Half - 100, 100u), (_segments[0].Address, _segments[0].Length));
        Assert.Equal((_memory, 200u), (_segments[1].Address, _segments[1].Length));

        Assert.Equal(WalkError.TooManySegments, DescriptorWalker.Walk(split, _memory, TableSize, 0, true, false, _segments.AsSpan(0, 1), out _, out _));

        using GuestMemory gap = GuestMemory.Unowned(
            new GuestRegion(Gpa, Half, 0x7000_0000, _memory),
            new GuestRegion(Gpa + Half + 4096, Half, 0x7100_0000, _memory + Half));
        Assert.Equal(WalkError.BadAddress, DescriptorWalker.Walk(gap, _memory, TableSize, 0, true, false, _segments, out _, out _));
        Put(0, 0, Gpa + Half - 100, uint.MaxValue, 0, 0);                        // runs past every region
        Assert.Equal(WalkError.BadAddress, DescriptorWalker.Walk(split, _memory, TableSize, 0, true, false, _segments, out _, out _));
    }

    /// <summary>
    /// An indirect table across the border of two regions adjacent in guest-physical space (mapped apart here, in the
    /// reverse order) is followed, a descriptor at a time, including one cut by the border; the same table across a gap,
    /// or running past guest memory, is refused; its entries stay bounded by the table (a loop is refused).
    /// </summary>
    [Fact]
    public void An_indirect_table_across_adjacent_regions_is_followed_and_across_a_gap_is_refused()
    {
        const int Half = Size / 2;
        using GuestMemory split = GuestMemory.Unowned(
            new GuestRegion(Gpa, Half, 0x7000_0000, _memory + Half),          // GPA [0, Half) lives at host Half..
            new GuestRegion(Gpa + Half, Half, 0x7100_0000, _memory));         // GPA [Half, Size) at host 0..
        ulong table = Gpa + Half - 24;                                           // entry 0 below the border, entry 1 cut by it
        PutGuest(split, table, 0, Gpa + 1000, 12, DescriptorWalker.FlagNext, 1);
        PutGuest(split, table, 1, Gpa + Half + 2000, 100, DescriptorWalker.FlagNext, 2);
        PutGuest(split, table, 2, Gpa + Half + 3000, 50, 0, 0);
        Put(0, 3, table, 3 * 16, DescriptorWalker.FlagIndirect, 0);              // the ring's table stays at host 0 (GPA Half)
        Assert.Equal(WalkError.None, DescriptorWalker.Walk(split, _memory, TableSize, 3, true, false, _segments, out int count, out ulong total));
        Assert.Equal(3, count);
        Assert.Equal(162UL, total);
        Assert.Equal((_memory + Half + 1000, 12u), (_segments[0].Address, _segments[0].Length));
        Assert.Equal((_memory + 2000, 100u), (_segments[1].Address, _segments[1].Length));
        Assert.Equal((_memory + 3000, 50u), (_segments[2].Address, _segments[2].Length));

        PutGuest(split, table, 2, Gpa + Half + 3000, 50, DescriptorWalker.FlagNext, 0);
        Assert.Equal(WalkError.Loop, DescriptorWalker.Walk(split, _memory, TableSize, 3, true, false, _segments, out _, out _));
        PutGuest(split, table, 2, Gpa + Half + 3000, 50, DescriptorWalker.FlagNext, 3);
        Assert.Equal(WalkError.BadIndex, DescriptorWalker.Walk(split, _memory, TableSize, 3, true, false, _segments, out _, out _));

        Put(0, 3, Gpa + Size - 32, 48, DescriptorWalker.FlagIndirect, 0);        // runs 16 bytes past guest memory
        Assert.Equal(WalkError.BadAddress, DescriptorWalker.Walk(split, _memory, TableSize, 3, true, false, _segments, out _, out _));
        Put(0, 3, Gpa + Half - 16, uint.MaxValue & ~15u, DescriptorWalker.FlagIndirect, 0); // 4 GiB: past every region
        Assert.Equal(WalkError.BadAddress, DescriptorWalker.Walk(split, _memory, TableSize, 3, true, false, _segments, out _, out _));

        using GuestMemory gap = GuestMemory.Unowned(
            new GuestRegion(Gpa, Half, 0x7000_0000, _memory + Half),
            new GuestRegion(Gpa + Half + 4096, Half, 0x7100_0000, _memory));
        Put(0, 3, table, 3 * 16, DescriptorWalker.FlagIndirect, 0);
        Assert.Equal(WalkError.BadAddress, DescriptorWalker.Walk(gap, _memory, TableSize, 3, true, false, _segments, out _, out _));
    }

    /// <summary>Writes descriptor <paramref name="index"/> of a table at guest-physical <paramref name="table"/>, through the regions.</summary>
    private static void PutGuest(GuestMemory memory, ulong table, int index, ulong address, uint length, ushort flags, ushort next)
    {
        Span<byte> d = stackalloc byte[16];
        BitConverter.TryWriteBytes(d, address);
        BitConverter.TryWriteBytes(d[8..], length);
        BitConverter.TryWriteBytes(d[12..], flags);
        BitConverter.TryWriteBytes(d[14..], next);
        ulong at = table + (ulong)(index * 16);
        for (int i = 0; i < 16; i++)
        {
            nint p = memory.Translate(at + (ulong)i, 1);
            Assert.NotEqual(0, p);
            *(byte*)p = d[i];
        }
    }
}
