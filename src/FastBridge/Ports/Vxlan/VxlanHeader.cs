using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using FastBridge.Diagnostics;

namespace FastBridge.Ports.Vxlan;

/// <summary>
/// The 8-byte VXLAN header of RFC 7348 (flags with the I bit, 24 reserved bits, the 24-bit VNI, 8 reserved bits), and
/// the 8-byte UDP header a raw-socket sender writes in front of it.
/// </summary>
/// <remarks>
/// Receive is strict, as the Linux kernel is: a header whose first word is not exactly the I flag, or whose last byte is
/// not zero, is dropped (<see cref="DropReason.VxlanBadHeader"/>), never guessed at; lengths come from what recvmmsg
/// says it wrote, never from the outer headers.
/// </remarks>
internal static class VxlanHeader
{
    public const int Size = 8;
    public const int UdpSize = 8;
    public const int EthernetHeaderSize = 14;

    /// <summary>The I flag: the VNI is valid.</summary>
    public const byte FlagVni = 0x08;

    /// <summary>Largest VNI (24 bits).</summary>
    public const int MaxVni = 0xFF_FFFF;

    /// <summary>
    /// Judges a received datagram from its <paramref name="header"/> bytes, the length recvmmsg reported and whether it
    /// was cut (MSG_TRUNC): <see cref="DropReason.None"/> with the <paramref name="vni"/> when it is well formed.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DropReason Inspect(ReadOnlySpan<byte> header, int datagramLength, bool truncated, out int vni)
    {
        vni = 0;
        if (datagramLength < Size || header.Length < Size)
        {
            return DropReason.VxlanBadHeader;
        }

        uint first = BinaryPrimitives.ReadUInt32BigEndian(header);
        uint second = BinaryPrimitives.ReadUInt32BigEndian(header[4..]);
        if (first != (uint)FlagVni << 24 || (second & 0xFF) != 0)
        {
            return DropReason.VxlanBadHeader;
        }

        vni = (int)(second >> 8);
        int inner = datagramLength - Size;
        return truncated || inner < EthernetHeaderSize ? DropReason.VxlanBadInner : DropReason.None;
    }

    /// <summary>Writes the VXLAN header for <paramref name="vni"/> into 8 bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Write(Span<byte> header, int vni)
    {
        BinaryPrimitives.WriteUInt32BigEndian(header, (uint)FlagVni << 24);
        BinaryPrimitives.WriteUInt32BigEndian(header[4..], (uint)vni << 8);
    }

    /// <summary>
    /// Writes a UDP header (checksum 0: RFC 7348 says SHOULD be zero over IPv4; over IPv6 the kernel fills it, the raw
    /// socket has IPV6_CHECKSUM set) for a payload of <paramref name="payloadLength"/> bytes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void WriteUdp(Span<byte> udp, ushort sourcePort, ushort destinationPort, int payloadLength)
    {
        BinaryPrimitives.WriteUInt16BigEndian(udp, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)(UdpSize + payloadLength));
        BinaryPrimitives.WriteUInt16BigEndian(udp[6..], 0);
    }

    /// <summary>
    /// The outer UDP source port for an inner frame: a hash of its addresses (Ethernet, and IPv4/IPv6 with the TCP/UDP
    /// ports when present) folded into 32768-60999, the kernel's default range, so the underlay's ECMP spreads flows
    /// and one flow keeps one path.
    /// </summary>
    public static ushort SourcePort(ReadOnlySpan<byte> frame)
    {
        const int Low = 32768;
        const int Range = 61000 - 32768;
        uint hash = FlowHash(frame);
        return (ushort)(Low + (int)(((ulong)hash * Range) >> 32));
    }

    private static uint FlowHash(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < EthernetHeaderSize)
        {
            return 0;
        }

        ulong h = 0x9E37_79B9_7F4A_7C15UL;
        h = Mix(h, BinaryPrimitives.ReadUInt64LittleEndian(frame) ^ ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(frame[8..]) << 16));
        int offset = 12;
        ushort type = BinaryPrimitives.ReadUInt16BigEndian(frame[offset..]);
        if (type == 0x8100 && frame.Length >= offset + 8)
        {
            offset += 4;
            type = BinaryPrimitives.ReadUInt16BigEndian(frame[offset..]);
        }

        offset += 2;
        ReadOnlySpan<byte> l3 = frame[offset..];
        if (type == 0x0800 && l3.Length >= 20)
        {
            h = Mix(h, BinaryPrimitives.ReadUInt64LittleEndian(l3[12..]));
            int ihl = (l3[0] & 0xF) * 4;
            bool fragment = (BinaryPrimitives.ReadUInt16BigEndian(l3[6..]) & 0x3FFF) != 0;
            if (!fragment && l3[9] is 6 or 17 && ihl >= 20 && l3.Length >= ihl + 4)
            {
                h = Mix(h, BinaryPrimitives.ReadUInt32LittleEndian(l3[ihl..]));
            }
        }
        else if (type == 0x86DD && l3.Length >= 40)
        {
            h = Mix(h, BinaryPrimitives.ReadUInt64LittleEndian(l3[8..]) ^ BinaryPrimitives.ReadUInt64LittleEndian(l3[16..]));
            h = Mix(h, BinaryPrimitives.ReadUInt64LittleEndian(l3[24..]) ^ BinaryPrimitives.ReadUInt64LittleEndian(l3[32..]));
            if (l3[6] is 6 or 17 && l3.Length >= 44)
            {
                h = Mix(h, BinaryPrimitives.ReadUInt32LittleEndian(l3[40..]));
            }
        }
        else
        {
            h = Mix(h, type);
        }

        return (uint)(h ^ (h >> 32));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mix(ulong h, ulong value)
    {
        h ^= value;
        h *= 0xFF51_AFD7_ED55_8CCDUL;
        return h ^ (h >> 33);
    }
}
