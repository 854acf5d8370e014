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
/// <remarks>Performance: no allocation; the header goes through 12 bytes of stack.</remarks>
internal static class RingCopy
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

        Span<byte> header = stackalloc byte[12];
        header.Clear();
        ChainCopy.Gather(segments[..count], header[..headerLength], packet.Buffer[..(int)frameLength]);
        packet.SetLength((int)frameLength);
        ref OffloadInfo offload = ref packet.Offload;
        offload = Unsafe.ReadUnaligned<OffloadInfo>(ref header[0]);
        if (!offload.IsNone && !offload.IsValidFor(packet.Span))
        {
            packet.Release();
            packet = default;
            return DropReason.BadOffload;
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
