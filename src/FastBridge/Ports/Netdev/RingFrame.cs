using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace FastBridge.Ports.Netdev;

/// <summary>
/// One frame of a TPACKET_V3 receive block, read from its <c>struct tpacket3_hdr</c> and checked against the block
/// it sits in: the frame's bytes are <c>block[MacOffset .. MacOffset + CapturedLength]</c>; or one frame slot of a
/// TPACKET_V2 ring (<see cref="TryReadSlot"/>), checked against its slot.
/// </summary>
/// <remarks>
/// Design: the kernel writes these headers, but a port must not let a wrong offset or length (a kernel bug, a ring
/// shared with another process) make it read outside its mapping. <see cref="TryRead"/> is the one place that turns
/// header fields into offsets, and it checks every one against the block, so the copy in <see cref="CopyTo"/> can
/// only touch the block. It works on spans (no unsafe code): the port hands it a span over the mapped block, the fuzz
/// target (tests/fuzz, target <c>ring</c>) arbitrary bytes.
/// The kernel strips the outer 802.1Q/802.1ad tag of a received frame and reports it in <c>tp_vlan_tci</c> (with
/// TP_STATUS_VLAN_VALID) and <c>tp_vlan_tpid</c> (TP_STATUS_VLAN_TPID_VALID); <see cref="CopyTo"/> puts it back after
/// the source MAC, so a tagged frame is switched and leaves tagged, as it came in.
/// </remarks>
internal readonly struct RingFrame
{
    /// <summary>Bytes of struct tpacket3_hdr.</summary>
    public const int HeaderSize = 48;

    /// <summary>Block header offsets (struct tpacket_block_desc with tpacket_hdr_v1).</summary>
    public const int BlockStatusOffset = 8;
    public const int BlockPacketCountOffset = 12;
    public const int BlockFirstPacketOffset = 16;

    /// <summary>Bytes of the block header in front of the first frame (the kernel aligns the first frame to 8 after 48).</summary>
    public const int BlockHeaderSize = 48;

    public const uint StatusUser = 0x1;
    public const uint StatusCopy = 0x2;
    public const uint StatusLosing = 0x4;
    public const uint StatusChecksumNotReady = 0x8;
    public const uint StatusVlanValid = 0x10;
    public const uint StatusVlanTpidValid = 0x40;

    /// <summary>Bytes a re-inserted tag adds.</summary>
    public const int TagSize = 4;

    private const ushort Tpid8021Q = 0x8100;

    /// <summary>Offset in the block of the next frame's header, or 0 when this is the last one (tp_next_offset relative to this one).</summary>
    public int NextOffset { get; init; }

    /// <summary>Offset in the block of the frame's first byte (its destination MAC).</summary>
    public int MacOffset { get; init; }

    /// <summary>Offset in the block just past the frame's ring header: room between it and <see cref="MacOffset"/> is the kernel's.</summary>
    public int HeaderEnd { get; init; }

    /// <summary>Bytes of the frame in the ring (tp_snaplen), without a stripped tag.</summary>
    public int CapturedLength { get; init; }

    /// <summary>Bytes the frame had (tp_len), without a stripped tag: longer than CapturedLength when the ring cut it.</summary>
    public int WireLength { get; init; }

    public uint Status { get; init; }

    /// <summary>The stripped tag's TCI (priority, DEI, VLAN id), valid when <see cref="HasTag"/>.</summary>
    public ushort TagControl { get; init; }

    /// <summary>The stripped tag's TPID (0x8100, 0x88a8); 0x8100 when the kernel did not say.</summary>
    public ushort TagProtocol { get; init; }

    public bool HasTag => (Status & StatusVlanValid) != 0;

    /// <summary>The ring cut the frame short (tp_snaplen below tp_len).</summary>
    public bool IsCut => CapturedLength < WireLength;

    /// <summary>Bytes of the frame as it goes to the switch: with the stripped tag back in.</summary>
    public int Length => CapturedLength + (HasTag ? TagSize : 0);

    /// <summary>Bytes the frame had on the wire: with the stripped tag.</summary>
    public int OriginalLength => WireLength + (HasTag ? TagSize : 0);

    /// <summary>
    /// Reads the header at <paramref name="offset"/> of <paramref name="block"/>; false when any field points outside
    /// the block, or the frame is shorter than the 12 bytes of its two MACs while a tag is to go after them.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> block, int offset, out RingFrame frame)
    {
        frame = default;
        if ((uint)offset < BlockHeaderSize || (uint)offset > (uint)(block.Length - HeaderSize) || (offset & 3) != 0)
        {
            return false;
        }

        ReadOnlySpan<byte> header = block.Slice(offset, HeaderSize);
        uint next = BinaryPrimitives.ReadUInt32LittleEndian(header);
        uint snap = BinaryPrimitives.ReadUInt32LittleEndian(header[12..]);
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(header[16..]);
        uint status = BinaryPrimitives.ReadUInt32LittleEndian(header[20..]);
        uint mac = BinaryPrimitives.ReadUInt16LittleEndian(header[24..]);
        uint tci = BinaryPrimitives.ReadUInt32LittleEndian(header[32..]);
        ushort tpid = BinaryPrimitives.ReadUInt16LittleEndian(header[36..]);

        uint room = (uint)(block.Length - offset);
        if (mac < HeaderSize || mac > room || snap > room - mac || length > int.MaxValue || next >= room)
        {
            return false;
        }

        if (next != 0 && next < HeaderSize)
        {
            return false; // the next header would overlap this one (and 0 < next < 48 could loop)
        }

        bool tagged = (status & StatusVlanValid) != 0;
        if (tagged && snap < 12)
        {
            return false;
        }

        frame = new RingFrame
        {
            NextOffset = next == 0 ? 0 : offset + (int)next,
            MacOffset = offset + (int)mac,
            HeaderEnd = offset + HeaderSize,
            CapturedLength = (int)snap,
            WireLength = (int)length,
            Status = status,
            TagControl = (ushort)tci,
            TagProtocol = (status & StatusVlanTpidValid) != 0 && tpid != 0 ? tpid : Tpid8021Q,
        };
        return true;
    }

    /// <summary>Bytes of struct tpacket2_hdr (a TPACKET_V2 frame slot starts with it).</summary>
    public const int HeaderSizeV2 = 32;

    /// <summary>
    /// Reads the <c>struct tpacket2_hdr</c> at the start of one TPACKET_V2 frame slot; false when the frame's offset
    /// or length points outside the slot, or a tag is to go after MACs the frame does not have. The frame's bytes are
    /// <c>slot[MacOffset .. MacOffset + CapturedLength]</c>, as for a TPACKET_V3 frame in its block.
    /// </summary>
    public static bool TryReadSlot(ReadOnlySpan<byte> slot, out RingFrame frame)
    {
        frame = default;
        if (slot.Length < HeaderSizeV2)
        {
            return false;
        }

        uint status = BinaryPrimitives.ReadUInt32LittleEndian(slot);
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(slot[4..]);
        uint snap = BinaryPrimitives.ReadUInt32LittleEndian(slot[8..]);
        uint mac = BinaryPrimitives.ReadUInt16LittleEndian(slot[12..]);
        ushort tci = BinaryPrimitives.ReadUInt16LittleEndian(slot[24..]);
        ushort tpid = BinaryPrimitives.ReadUInt16LittleEndian(slot[26..]);
        uint room = (uint)slot.Length;
        if (mac < HeaderSizeV2 || mac > room || snap > room - mac || length > int.MaxValue)
        {
            return false;
        }

        bool tagged = (status & StatusVlanValid) != 0;
        if (tagged && snap < 12)
        {
            return false;
        }

        frame = new RingFrame
        {
            MacOffset = (int)mac,
            HeaderEnd = HeaderSizeV2,
            CapturedLength = (int)snap,
            WireLength = (int)length,
            Status = status,
            TagControl = tci,
            TagProtocol = (status & StatusVlanTpidValid) != 0 && tpid != 0 ? tpid : Tpid8021Q,
        };
        return true;
    }

    /// <summary>
    /// Copies the frame into <paramref name="destination"/> (at least <see cref="Length"/> bytes), the stripped tag
    /// back in after the source MAC; returns the bytes written.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int CopyTo(ReadOnlySpan<byte> block, Span<byte> destination)
    {
        ReadOnlySpan<byte> bytes = block.Slice(MacOffset, CapturedLength);
        if (!HasTag)
        {
            bytes.CopyTo(destination);
            return bytes.Length;
        }

        bytes[..12].CopyTo(destination);
        BinaryPrimitives.WriteUInt16BigEndian(destination[12..], TagProtocol);
        BinaryPrimitives.WriteUInt16BigEndian(destination[14..], TagControl);
        bytes[12..].CopyTo(destination[16..]);
        return bytes.Length + TagSize;
    }

    /// <summary>
    /// Reads the virtio-net header the kernel wrote just before the frame (a socket with PACKET_VNET_HDR) into
    /// <paramref name="info"/>, its offsets moved for the tag <see cref="CopyTo"/> puts back; false when the header
    /// would not lie between the ring header and the frame (never from a sane kernel).
    /// </summary>
    public bool TryReadOffload(ReadOnlySpan<byte> area, out Offloads.OffloadInfo info)
    {
        int at = MacOffset - VnetHeader.Size;
        if (at < HeaderEnd)
        {
            info = default;
            return false;
        }

        return VnetHeader.Read(area.Slice(at, VnetHeader.Size), HasTag, out info);
    }

    /// <summary>The block's status word (TP_STATUS_USER when the kernel handed it over).</summary>
    public static uint BlockStatus(ReadOnlySpan<byte> block) => BinaryPrimitives.ReadUInt32LittleEndian(block[BlockStatusOffset..]);

    public static int BlockPacketCount(ReadOnlySpan<byte> block) => (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(block[BlockPacketCountOffset..]), int.MaxValue);

    public static int BlockFirstPacket(ReadOnlySpan<byte> block) => (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(block[BlockFirstPacketOffset..]), int.MaxValue);
}
