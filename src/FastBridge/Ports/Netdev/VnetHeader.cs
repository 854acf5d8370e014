using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using FastBridge.Offloads;

namespace FastBridge.Ports.Netdev;

/// <summary>
/// The 10-byte <c>struct virtio_net_hdr</c> an AF_PACKET socket with PACKET_VNET_HDR puts in front of every frame, in
/// both directions, mapped to and from the engine's <see cref="OffloadInfo"/> (the same fields, little-endian).
/// </summary>
/// <remarks>
/// Design: on receive the kernel writes the header (virtio_net_hdr_from_skb) just before the frame in the ring, with
/// the checksum start relative to the frame as the ring holds it, that is without the 802.1Q tag the kernel stripped.
/// The port puts the tag back (<see cref="RingFrame.CopyTo"/>), so <see cref="Read"/> moves the checksum start and the
/// header-length hint 4 bytes on for a tagged frame. On transmit the header goes in front of each frame in the
/// message's first iovec (<see cref="Write"/>); packet_snd checks it and marks super-frames for the kernel's own
/// segmentation where the interface cannot take them whole. One place for both directions, unit-tested.
/// </remarks>
internal static class VnetHeader
{
    /// <summary>Bytes of struct virtio_net_hdr (PACKET_VNET_HDR; PACKET_VNET_HDR_SZ could ask for 12, not used).</summary>
    public const int Size = 10;

    /// <summary>
    /// Reads the header in <paramref name="header"/> (at least <see cref="Size"/> bytes) into <paramref name="info"/>;
    /// <paramref name="tagInserted"/> when a 4-byte tag goes back into the frame in front of the checksum start.
    /// False when the shifted offsets no longer fit 16 bits (never from a sane kernel).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Read(ReadOnlySpan<byte> header, bool tagInserted, out OffloadInfo info)
    {
        info = default;
        info.Flags = (OffloadFlags)header[0];
        info.GsoType = (GsoType)header[1];
        info.HeaderLength = BinaryPrimitives.ReadUInt16LittleEndian(header[2..]);
        info.GsoSize = BinaryPrimitives.ReadUInt16LittleEndian(header[4..]);
        info.ChecksumStart = BinaryPrimitives.ReadUInt16LittleEndian(header[6..]);
        info.ChecksumOffset = BinaryPrimitives.ReadUInt16LittleEndian(header[8..]);
        if (!tagInserted || info.IsNone)
        {
            return true;
        }

        const int Tag = RingFrame.TagSize;
        if (info.ChecksumStart > ushort.MaxValue - Tag || info.HeaderLength > ushort.MaxValue - Tag)
        {
            return false;
        }

        if ((info.Flags & OffloadFlags.NeedsChecksum) != 0)
        {
            info.ChecksumStart += Tag;
        }

        if (info.HeaderLength != 0)
        {
            info.HeaderLength += Tag;
        }

        return true;
    }

    /// <summary>Writes the header for <paramref name="info"/> into <paramref name="header"/> (at least <see cref="Size"/> bytes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Write(Span<byte> header, in OffloadInfo info)
    {
        if (info.IsNone)
        {
            header[..Size].Clear();
            return;
        }

        header[0] = (byte)info.Flags;
        header[1] = (byte)info.GsoType;
        BinaryPrimitives.WriteUInt16LittleEndian(header[2..], info.HeaderLength);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], info.GsoSize);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], info.ChecksumStart);
        BinaryPrimitives.WriteUInt16LittleEndian(header[8..], info.ChecksumOffset);
    }
}
