using System.Runtime.CompilerServices;
using FastBridge.Buffers;
using FastBridge.Diagnostics;
using FastBridge.Offloads;

namespace FastBridge.Ports.VhostUser;

/// <summary>
/// One frame between a descriptor chain and a pool buffer: the walk and the copy of Receive, and the single-chain
/// copy of Transmit, as static functions (the port uses the first; the benchmark measures both; a fuzz target can
/// drive them over <see cref="GuestMemory.Unowned"/>).
/// </summary>
/// <remarks>Performance: no allocation; a chain of one buffer (header and frame together, the usual case) is read with
/// one copy; a longer chain goes through <see cref="ChainCopy"/> with the header in 12 bytes of stack.</remarks>
internal static unsafe class RingCopy
{
    /// <summary>
    /// Walks the device-readable chain at <paramref name="head"/> and copies its frame into a pool buffer, its
    /// virtio-net header into <see cref="Packet.Offload"/>. Returns why not, or <see cref="DropReason.None"/>.
    /// </summary>
    public static DropReason ChainToPacket(GuestMemory memory, nint table, uint size, uint head, bool indirect, int headerLength,
        PacketPool pool, Span<BufferSegment> segments, out Packet packet)
    {
        packet = default;
        WalkError error = DescriptorWalker.Walk(memory, table, size, head, indirect, deviceWrites: false, segments, out int count, out ulong total);
        if (error != WalkError.None || total < (ulong)headerLength)
        {
            return DropReason.BadDescriptor;
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

        OffloadInfo offload;
        if (count == 1)
        {
            // Header and frame in one buffer, as Linux and DPDK post them: no stream bookkeeping, one copy.
            byte* source = (byte*)segments[0].Address;
            offload = Unsafe.ReadUnaligned<OffloadInfo>(source); // 10 bytes; the header is 10 or 12, all read once
            Unsafe.CopyBlockUnaligned(packet.Pointer, source + headerLength, (uint)frameLength);
        }
        else
        {
            Span<byte> header = stackalloc byte[12];
            header.Clear();
            ChainCopy.Gather(segments[..count], header[..headerLength], packet.Buffer[..(int)frameLength]);
            offload = Unsafe.ReadUnaligned<OffloadInfo>(ref header[0]);
        }

        packet.SetLength((int)frameLength);
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
