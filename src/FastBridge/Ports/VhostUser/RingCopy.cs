using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using FastBridge.Buffers;
using FastBridge.Diagnostics;
using FastBridge.Offloads;

namespace FastBridge.Ports.VhostUser;

/// <summary>
/// One frame between a descriptor chain and a pool buffer: the walk and the copy of Receive, and the single-chain
/// copy of Transmit, as static functions (the port uses the first; the benchmark measures both; a fuzz target can
/// drive them over <see cref="GuestMemory.Unowned"/>).
/// </summary>
/// <remarks>Performance: no allocation; a chain of one descriptor (header and frame together, the usual case) is
/// taken by <see cref="WholeBuffer"/> without the walker's loop and read with one copy; a longer chain is walked and
/// goes through <see cref="ChainCopy"/> with the header in 12 bytes of stack (out of line, so the usual case pays no
/// stack cookie).</remarks>
internal static unsafe class RingCopy
{
    /// <summary>
    /// Walks the device-readable chain at <paramref name="head"/> and copies its frame into a pool buffer, its
    /// virtio-net header into <see cref="Packet.Offload"/>. Returns why not, or <see cref="DropReason.None"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DropReason ChainToPacket(GuestMemory memory, nint table, uint size, uint head, bool indirect, int headerLength,
        PacketPool pool, Span<BufferSegment> segments, out Packet packet)
    {
        // The usual chain, one buffer holding header and frame, without the walker's loop; anything else is walked.
        nint whole = WholeBuffer(memory, table, size, head, deviceWrites: false, out uint length);
        if (whole != 0 && length >= (uint)headerLength)
        {
            return BufferToPacket((byte*)whole, length, headerLength, pool, out packet);
        }

        return WalkToPacket(memory, table, size, head, indirect, headerLength, pool, segments, out packet);
    }

    /// <summary>
    /// The one buffer of a chain of one descriptor with the flags <paramref name="deviceWrites"/> asks for and nothing
    /// else (no NEXT, no INDIRECT, no other bit), translated whole into one region, with its length; 0 for anything
    /// else, which the caller then gives to <see cref="DescriptorWalker.Walk"/>. The fast path of both ring walks: the
    /// descriptor is read once into a local, and the walker, when it runs, reads and decides everything again (nothing
    /// read here is used then), so the two paths agree on every chain: where this returns a buffer, the walker would
    /// return the same single segment.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static nint WholeBuffer(GuestMemory memory, nint table, uint size, uint head, bool deviceWrites, out uint length)
    {
        length = 0;
        if (head >= size)
        {
            return 0;
        }

        Descriptor descriptor = Unsafe.ReadUnaligned<Descriptor>((byte*)table + (head * DescriptorWalker.DescriptorSize));
        if (descriptor.Flags != (deviceWrites ? DescriptorWalker.FlagWrite : 0) || descriptor.Length == 0)
        {
            return 0;
        }

        length = descriptor.Length;
        return memory.Translate(descriptor.Address, descriptor.Length);
    }

    /// <summary>
    /// Starts loading the first lines of the buffer at <paramref name="head"/> (header and frame start, written on the
    /// frontend's core) while earlier frames are copied. A hint only: the descriptor read here is used for nothing
    /// else, the address is translated (inside guest memory) before it is touched, and a prefetch never faults.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void PrefetchBuffer(GuestMemory memory, nint table, uint size, uint head)
    {
        if (!Sse.IsSupported || head >= size)
        {
            return;
        }

        Descriptor descriptor = Unsafe.ReadUnaligned<Descriptor>((byte*)table + (head * DescriptorWalker.DescriptorSize));
        uint span = Math.Min(descriptor.Length, 128u);
        nint buffer = span == 0 ? 0 : memory.Translate(descriptor.Address, span);
        if (buffer != 0)
        {
            Sse.Prefetch0((byte*)buffer);
            Sse.Prefetch0((byte*)buffer + span - 1);
        }
    }

    /// <summary>The general case: the walker's segments, gathered (a buffer of one segment is copied as in the fast path).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static DropReason WalkToPacket(GuestMemory memory, nint table, uint size, uint head, bool indirect, int headerLength,
        PacketPool pool, Span<BufferSegment> segments, out Packet packet)
    {
        packet = default;
        WalkError error = DescriptorWalker.Walk(memory, table, size, head, indirect, deviceWrites: false, segments, out int count, out ulong total);
        if (error != WalkError.None || total < (ulong)headerLength)
        {
            return DropReason.BadDescriptor;
        }

        if (count == 1)
        {
            return BufferToPacket((byte*)segments[0].Address, (uint)total, headerLength, pool, out packet);
        }

        ulong frameLength = total - (ulong)headerLength;
        if (frameLength > PacketPool.MaxFrameLength)
        {
            return DropReason.Oversize;
        }

        if (!pool.TryRent((int)frameLength, out packet))
        {
            return DropReason.NoBuffer;
        }

        Span<byte> header = stackalloc byte[12];
        header.Clear();
        ChainCopy.Gather(segments[..count], header[..headerLength], packet.Buffer[..(int)frameLength]);
        return Finish(ref packet, (int)frameLength, Unsafe.ReadUnaligned<OffloadInfo>(ref header[0]));
    }

    /// <summary>Header and frame in one buffer, as Linux and DPDK post them: no stream bookkeeping, one copy.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static DropReason BufferToPacket(byte* source, uint total, int headerLength, PacketPool pool, out Packet packet)
    {
        uint frameLength = total - (uint)headerLength;
        if (frameLength > PacketPool.MaxFrameLength)
        {
            packet = default;
            return DropReason.Oversize;
        }

        if (!pool.TryRent((int)frameLength, out packet))
        {
            return DropReason.NoBuffer;
        }

        OffloadInfo offload = Unsafe.ReadUnaligned<OffloadInfo>(source); // 10 bytes; the header is 10 or 12, all read once
        SmallCopy.Copy(packet.Pointer, source + headerLength, frameLength);
        return Finish(ref packet, (int)frameLength, offload);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static DropReason Finish(ref Packet packet, int frameLength, OffloadInfo offload)
    {
        packet.SetLength(frameLength);
        if (!offload.IsNone)
        {
            // Only a frame that carries metadata touches the pool's offload array (and marks the pool as carrying
            // offloads, which makes every later transmit look at its frames' metadata): ordinary frames leave it be.
            if (!offload.IsValidFor(packet.Span))
            {
                packet.Release();
                packet = default;
                return DropReason.BadOffload;
            }

            packet.Offload = offload;
        }

        return DropReason.None;
    }

    /// <summary>
    /// Header and frame into one guest buffer already checked to hold both (<see cref="WholeBuffer"/> with its length
    /// compared, or a walk of one segment): the port's Transmit writes the buffers it reserved so, before it publishes
    /// the used index. The header: the frame's offload metadata (zero for an ordinary frame), num_buffers 1.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void PacketToBuffer(nint buffer, Packet frame, int headerLength)
    {
        byte* target = (byte*)buffer;
        if (frame.Pool.OffloadsSeen)
        {
            Unsafe.WriteUnaligned(target, frame.Offload); // the header's first 10 bytes
        }
        else
        {
            Unsafe.WriteUnaligned(target, 0UL); // an ordinary frame: all zero, without the 10-byte struct's stack copy
            Unsafe.WriteUnaligned(target + 8, (ushort)0);
        }

        if (headerLength == 12)
        {
            Unsafe.WriteUnaligned(target + 10, (ushort)1); // num_buffers: this one chain
        }

        SmallCopy.Copy(target + headerLength, frame.Pointer, (uint)frame.Length);
    }

    /// <summary>
    /// Writes a zeroed 12-byte header (num_buffers 1) and <paramref name="packet"/> into the device-writable chain at
    /// <paramref name="head"/>; returns the bytes written, or -1 when the chain is malformed or too small.
    /// </summary>
    public static int PacketToChain(GuestMemory memory, nint table, uint size, uint head, bool indirect, Packet packet,
        Span<BufferSegment> segments)
    {
        WalkError error = DescriptorWalker.Walk(memory, table, size, head, indirect, deviceWrites: true, segments, out int count, out ulong room);
        ReadOnlySpan<byte> frame = packet.Span;
        if (error != WalkError.None || room < (ulong)(12 + frame.Length))
        {
            return -1;
        }

        Span<byte> header = stackalloc byte[12];
        header.Clear();
        header[10] = 1;
        return ChainCopy.Scatter(segments[..count], header, frame, 0);
    }
}
