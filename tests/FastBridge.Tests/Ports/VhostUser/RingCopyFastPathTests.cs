using System.Runtime.InteropServices;
using FastBridge.Buffers;
using FastBridge.Diagnostics;
using FastBridge.Ports.VhostUser;

namespace FastBridge.Tests.Ports.VhostUser;

/// <summary>
/// The ring walks' one-descriptor fast path (<see cref="RingCopy.WholeBuffer"/>): what it takes, what it leaves to the
/// walker, and that a frame copied through it is the same as through the walker, at every copy size class.
/// </summary>
public sealed unsafe class RingCopyFastPathTests : IDisposable
{
    private const ulong Gpa = 0x2000_0000;
    private const int Size = 64 * 1024;
    private const uint TableSize = 16;
    private readonly nint _memory = (nint)NativeMemory.AllocZeroed(Size);
    private readonly GuestMemory _guest;
    private readonly PacketPool _pool = new(64, 2);
    private readonly BufferSegment[] _segments = new BufferSegment[DescriptorWalker.MaxSegments];

    public RingCopyFastPathTests()
    {
        _guest = GuestMemory.Unowned(new GuestRegion(Gpa, Size, 0x7000_0000, _memory));
    }

    public void Dispose()
    {
        _pool.Dispose();
        NativeMemory.Free((void*)_memory);
    }

    private void Put(int index, ulong address, uint length, ushort flags, ushort next = 0)
    {
        byte* d = (byte*)_memory + (index * 16);
        *(ulong*)d = address;
        *(uint*)(d + 8) = length;
        *(ushort*)(d + 12) = flags;
        *(ushort*)(d + 14) = next;
    }

    private nint Whole(uint head, bool writes, out uint length) =>
        RingCopy.WholeBuffer(_guest, _memory, TableSize, head, writes, out length);

    [Fact]
    public void A_plain_descriptor_is_taken_in_the_direction_its_flags_say()
    {
        Put(0, Gpa + 8192, 76, 0);
        Put(1, Gpa + 12288, 2048, DescriptorWalker.FlagWrite);
        Assert.Equal(_memory + 8192, Whole(0, writes: false, out uint length));
        Assert.Equal(76u, length);
        Assert.Equal(_memory + 12288, Whole(1, writes: true, out length));
        Assert.Equal(2048u, length);
        Assert.Equal(0, Whole(0, writes: true, out _));  // readable where the device writes: the walker refuses it
        Assert.Equal(0, Whole(1, writes: false, out _));
    }

    [Fact]
    public void Everything_else_is_left_to_the_walker()
    {
        Put(0, Gpa + 8192, 12, DescriptorWalker.FlagNext, 1);
        Assert.Equal(0, Whole(0, false, out _)); // a chain
        Put(0, Gpa + 4096, 32, DescriptorWalker.FlagIndirect);
        Assert.Equal(0, Whole(0, false, out _)); // an indirect table
        Put(0, Gpa + 8192, 0, 0);
        Assert.Equal(0, Whole(0, false, out _)); // empty
        Put(0, Gpa + 8192, 76, 8);
        Assert.Equal(0, Whole(0, false, out _)); // a flag bit the walker ignores: the walker decides
        Put(0, Gpa + Size - 16, 32, 0);
        Assert.Equal(0, Whole(0, false, out _)); // runs past guest memory
        Put(0, Gpa - 16, 32, 0);
        Assert.Equal(0, Whole(0, false, out _)); // starts before it
        Put(0, ulong.MaxValue - 8, 76, 0);
        Assert.Equal(0, Whole(0, false, out _)); // wraps
        Assert.Equal(0, Whole(TableSize, false, out _)); // a head beyond the table
        RingCopy.PrefetchBuffer(_guest, _memory, TableSize, 0); // a hint: no fault, nothing else
        RingCopy.PrefetchBuffer(_guest, _memory, TableSize, TableSize);
    }

    [Theory]
    [InlineData(10)]   // Memmove
    [InlineData(16)]   // the 16-32 byte copy
    [InlineData(31)]
    [InlineData(32)]   // the 32-64 byte copy
    [InlineData(33)]
    [InlineData(64)]
    [InlineData(65)]   // Memmove again
    [InlineData(1518)]
    public void A_frame_through_the_fast_path_equals_the_walked_one(int frameLength)
    {
        // descriptor 0: header and frame in one buffer (fast path); 1 -> 2: the same bytes as header, then frame (walked)
        for (int i = 0; i < frameLength; i++)
        {
            ((byte*)_memory)[8192 + 12 + i] = (byte)(i * 7);
        }

        Put(0, Gpa + 8192, (uint)(12 + frameLength), 0);
        Put(1, Gpa + 8192, 12, DescriptorWalker.FlagNext, 2);
        Put(2, Gpa + 8192 + 12, (uint)frameLength, 0);
        Assert.Equal(DropReason.None, RingCopy.ChainToPacket(_guest, _memory, TableSize, 0, false, 12, _pool, _segments, out Packet fast));
        Assert.Equal(DropReason.None, RingCopy.ChainToPacket(_guest, _memory, TableSize, 1, false, 12, _pool, _segments, out Packet walked));
        try
        {
            Assert.Equal(frameLength, fast.Length);
            Assert.True(fast.Span.SequenceEqual(walked.Span));
            Assert.True(fast.Span.SequenceEqual(new ReadOnlySpan<byte>((byte*)_memory + 8192 + 12, frameLength)));

            // and back out: a zero header with num_buffers 1, then the frame
            new Span<byte>((byte*)_memory + 16384, 2048).Fill(0xAA);
            Put(3, Gpa + 16384, 2048, DescriptorWalker.FlagWrite);
            nint target = Whole(3, writes: true, out uint room);
            Assert.True(target != 0 && room >= (uint)(12 + frameLength));
            RingCopy.PacketToBuffer(target, fast, 12);
            var written = new ReadOnlySpan<byte>((byte*)target, 12 + frameLength + 1);
            Assert.True(written[..10].IndexOfAnyExcept((byte)0) < 0);
            Assert.Equal(1, written[10]);
            Assert.Equal(0, written[11]);
            Assert.True(written.Slice(12, frameLength).SequenceEqual(fast.Span));
            Assert.Equal(0xAA, written[12 + frameLength]); // nothing past the frame
        }
        finally
        {
            fast.Release();
            walked.Release();
        }
    }

    [Fact]
    public void A_buffer_shorter_than_the_header_is_a_bad_descriptor_either_way()
    {
        Put(0, Gpa + 8192, 11, 0);
        Assert.Equal(DropReason.BadDescriptor, RingCopy.ChainToPacket(_guest, _memory, TableSize, 0, false, 12, _pool, _segments, out _));
        Assert.Equal(_pool.SmallCount, _pool.SmallAvailable);
    }
}
