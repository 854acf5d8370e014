using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FastBridge.Offloads;

/// <summary>What a frame still needs done by whoever puts it on a wire (virtio-net header flags).</summary>
[Flags]
public enum OffloadFlags : byte
{
    None = 0,

    /// <summary>The L4 checksum is to be filled: sum from <see cref="OffloadInfo.ChecksumStart"/> to the end, store at +<see cref="OffloadInfo.ChecksumOffset"/>.</summary>
    NeedsChecksum = 1,

    /// <summary>The sender verified the checksum (the receiving stack may skip checking it).</summary>
    DataValid = 2,
}

/// <summary>What kind of super-frame a frame is (virtio-net gso_type values).</summary>
public enum GsoType : byte
{
    /// <summary>An ordinary frame.</summary>
    None = 0,

    /// <summary>A TCP over IPv4 super-frame, to cut into <see cref="OffloadInfo.GsoSize"/>-byte segments.</summary>
    TcpV4 = 1,

    /// <summary>A TCP over IPv6 super-frame.</summary>
    TcpV6 = 4,

    /// <summary>A UDP super-frame to cut into datagrams of <see cref="OffloadInfo.GsoSize"/> payload bytes (USO).</summary>
    UdpL4 = 5,

    /// <summary>Flag bit: the TCP super-frame has ECN (CWR) set; only the first segment keeps CWR.</summary>
    Ecn = 0x80,
}

/// <summary>
/// Per-frame offload metadata: whether the checksum is still pending and whether the frame is a GSO super-frame. Laid
/// out field for field as the first 10 bytes of <c>struct virtio_net_hdr</c> (little-endian), the header a TAP opened
/// with IFF_VNET_HDR puts in front of each frame.
/// </summary>
/// <remarks>
/// Design: one flat array of these in the packet pool (<c>Buffers.PacketPool</c>), indexed like the lengths, reset to all-zero
/// (<see cref="IsNone"/>) when a buffer is rented. A port that reads frames with a virtio-net header fills it; a port that
/// accepts offloads (<c>Port.AcceptsOffloads</c>) passes it on; for any other port the worker finishes the frame first
/// (<c>Dataplane.OffloadFinisher</c>). <see cref="HeaderLength"/> is only a hint (the kernel fills it with the linear part
/// of its buffer): segmentation computes the header length from the TCP header itself.
/// </remarks>
[StructLayout(LayoutKind.Sequential)]
public struct OffloadInfo
{
    public OffloadFlags Flags;

    /// <summary>The super-frame kind, possibly with the <see cref="GsoType.Ecn"/> bit.</summary>
    public GsoType GsoType;

    /// <summary>Bytes of headers in front of the payload (hint).</summary>
    public ushort HeaderLength;

    /// <summary>Payload bytes per segment of a super-frame.</summary>
    public ushort GsoSize;

    /// <summary>Offset of the L4 header, where the pending checksum's sum starts.</summary>
    public ushort ChecksumStart;

    /// <summary>Offset of the checksum field from <see cref="ChecksumStart"/> (16 for TCP, 6 for UDP).</summary>
    public ushort ChecksumOffset;

    /// <summary>Bytes of the virtio-net header fields this struct mirrors.</summary>
    public const int VirtioFieldsSize = 10;

    /// <summary>Nothing pending: an ordinary frame with a complete checksum (or none verified).</summary>
    public readonly bool IsNone
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Unsafe.As<OffloadFlags, ushort>(ref Unsafe.AsRef(in Flags)) == 0;
    }

    /// <summary>Something for a port that does not accept offloads to do: a checksum to fill or a super-frame to cut.</summary>
    public readonly bool NeedsFinishing
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (Flags & OffloadFlags.NeedsChecksum) != 0 || GsoType != GsoType.None;
    }

    /// <summary>
    /// True when this metadata makes sense for <paramref name="frame"/> (the check a TAP applies to what it reads): only
    /// known flags, a pending checksum inside the frame, a super-frame's headers matching its type. A port of your own
    /// that fills <c>Packet.Offload</c> on receive should drop what fails it.
    /// </summary>
    public readonly bool IsValidFor(ReadOnlySpan<byte> frame) => GsoLayout.IsValid(this, frame);

    /// <summary>The super-frame kind without the ECN bit.</summary>
    public readonly GsoType Kind => (GsoType)((byte)GsoType & 0x7f);

    public override readonly string ToString() =>
        $"flags={Flags} gso={GsoType} hdr_len={HeaderLength} gso_size={GsoSize} csum_start={ChecksumStart} csum_offset={ChecksumOffset}";
}
