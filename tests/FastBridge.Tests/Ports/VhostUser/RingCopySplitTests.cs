using System.Runtime.InteropServices;
using FastBridge.Buffers;
using FastBridge.Diagnostics;
using FastBridge.Ports.VhostUser;

namespace FastBridge.Tests.Ports.VhostUser;

/// <summary>
/// A frame whose guest buffer straddles two guest RAM regions (adjacent in guest-physical space, mapped apart here)
/// crosses both ways intact: guest TX chain to pool buffer, pool buffer to guest RX chain.
/// </summary>
public sealed unsafe class RingCopySplitTests : IDisposable
{
    private const ulong Gpa = 0x4000_0000;
    private const int Half = 64 * 1024;
    private const uint TableSize = 16;
    private readonly nint _low = (nint)NativeMemory.AllocZeroed(Half);
    private readonly nint _high = (nint)NativeMemory.AllocZeroed(Half);
    private readonly PacketPool _pool = new(64, 4);
    private readonly BufferSegment[] _segments = new BufferSegment[DescriptorWalker.MaxSegments];

    public void Dispose()
    {
        _pool.Dispose();
        NativeMemory.Free((void*)_low);
        NativeMemory.Free((void*)_high);
    }

    [Fact]
    public void A_frame_in_a_buffer_across_two_regions_crosses_both_ways_intact()
    {
        using GuestMemory memory = GuestMemory.Unowned(
            new GuestRegion(Gpa, Half, 0x7000_0000, _low),
            new GuestRegion(Gpa + Half, Half, 0x7100_0000, _high));
        byte[] frame = [.. Enumerable.Range(0, 1000).Select(i => (byte)(i * 7))];
        // TX: header + frame from 400 bytes below the border; RX: a 2048-byte buffer from 300 bytes below it.
        ulong tx = Gpa + Half - 400;
        new Span<byte>((void*)(_low + Half - 400), 12).Clear();
        frame.AsSpan(0, 388).CopyTo(new Span<byte>((void*)(_low + Half - 388), 388));
        frame.AsSpan(388).CopyTo(new Span<byte>((void*)_high, frame.Length - 388));
        Describe(0, tx, (uint)(12 + frame.Length), 0);
        Describe(1, Gpa + Half - 300, 2048, DescriptorWalker.FlagWrite);

        Assert.Equal(DropReason.None, RingCopy.ChainToPacket(memory, _low, TableSize, 0, true, 12, _pool, _segments, out Packet packet));
        Assert.Equal(frame, packet.Span.ToArray());
        Assert.Equal(12 + frame.Length, RingCopy.PacketToChain(memory, _low, TableSize, 1, true, packet, _segments));
        packet.Release();

        byte[] received = [.. new ReadOnlySpan<byte>((void*)(_low + Half - 300), 300).ToArray(),
            .. new ReadOnlySpan<byte>((void*)_high, 12 + frame.Length - 300).ToArray()];
        Assert.Equal(1, received[10]); // num_buffers
        Assert.Equal(frame, received[12..]);
    }

    private void Describe(int index, ulong address, uint length, ushort flags)
    {
        byte* d = (byte*)_low + (index * 16);
        *(ulong*)d = address;
        *(uint*)(d + 8) = length;
        *(ushort*)(d + 12) = flags;
        *(ushort*)(d + 14) = 0;
    }
}
