using System.Buffers.Binary;
using FastBridge.Frames;

namespace FastBridge.Tests.Infrastructure;

/// <summary>One VLAN tag as written on the wire: TPID, priority code point, DEI bit and VLAN id.</summary>
public readonly record struct VlanTag(ushort Tpid, byte Pcp, ushort Vid, bool Dei = false)
{
    /// <summary>An 802.1Q (C-)tag, TPID 0x8100.</summary>
    public static VlanTag Dot1Q(ushort vid, byte pcp = 0) => new(FrameParser.TpidDot1Q, pcp, vid);

    /// <summary>An 802.1ad S-tag, TPID 0x88A8.</summary>
    public static VlanTag Dot1ad(ushort vid, byte pcp = 0) => new(FrameParser.TpidDot1ad, pcp, vid);

    /// <summary>A legacy QinQ outer tag, TPID 0x9100.</summary>
    public static VlanTag QinQ(ushort vid, byte pcp = 0) => new(FrameParser.TpidQinQ, pcp, vid);

    /// <summary>The 16-bit tag control information: PCP (3 bits), DEI (1 bit), VID (12 bits).</summary>
    public ushort Tci => (ushort)((Pcp << 13) | (Dei ? 0x1000 : 0) | (Vid & 0x0FFF));
}

/// <summary>
/// Builds Ethernet frames for tests: destination, source, any number of VLAN tags, EtherType and a payload whose
/// bytes follow a seeded pattern (byte i of the payload is <c>seed + i</c>), so a receiver can check the content.
/// Shared by the parser, engine, end-to-end and embedding tests (it uses only the library's public API); stations are
/// named by <see cref="Stations"/>. The other parts: <c>FrameBuilder.Kernel.cs</c> (ARP, filler),
/// <c>FrameBuilder.Transport.cs</c> (TCP/UDP over IPv4/IPv6 with offload metadata, super-frames) and
/// <c>FrameBuilder.Hostile.cs</c> (malformed frames and their expected fate).
/// </summary>
public static partial class FrameBuilder
{
    public const ushort EtherTypeIpv4 = 0x0800;
    public const ushort EtherTypeArp = 0x0806;
    public const ushort EtherTypeIpv6 = 0x86DD;

    /// <summary>IEEE local experimental EtherType 1: filler that no protocol above Ethernet claims.</summary>
    public const ushort EtherTypeExperimental = 0x88b5;

    /// <summary>Payload bytes of a minimum-size (60-byte, no FCS) untagged frame.</summary>
    public const int MinPayload = 46;

    /// <summary>Total length of a frame with <paramref name="tagCount"/> tags and <paramref name="payloadLength"/> payload bytes.</summary>
    public static int Length(int tagCount, int payloadLength) => FrameParser.HeaderLength + (tagCount * FrameParser.TagLength) + payloadLength;

    /// <summary>An untagged frame.</summary>
    public static byte[] Untagged(MacAddress destination, MacAddress source, ushort etherType = EtherTypeIpv4, int payloadLength = MinPayload, byte seed = 0) =>
        Build(destination, source, [], etherType, payloadLength, seed);

    /// <summary>A frame with one 802.1Q tag.</summary>
    public static byte[] Tagged(MacAddress destination, MacAddress source, ushort vid, byte pcp = 0, ushort etherType = EtherTypeIpv4, int payloadLength = MinPayload, byte seed = 0) =>
        Build(destination, source, [VlanTag.Dot1Q(vid, pcp)], etherType, payloadLength, seed);

    /// <summary>A frame with the given tags, outermost first.</summary>
    public static byte[] Build(MacAddress destination, MacAddress source, ReadOnlySpan<VlanTag> tags, ushort etherType, int payloadLength = MinPayload, byte seed = 0)
    {
        byte[] frame = new byte[Length(tags.Length, payloadLength)];
        int written = Write(frame, destination, source, tags, etherType, payloadLength, seed);
        Assert.Equal(frame.Length, written);
        return frame;
    }

    /// <summary>
    /// Writes a frame into <paramref name="buffer"/> (for example a <see cref="FastBridge.Buffers.Packet"/>'s buffer)
    /// and returns its length.
    /// </summary>
    public static int Write(Span<byte> buffer, MacAddress destination, MacAddress source, ReadOnlySpan<VlanTag> tags, ushort etherType, int payloadLength = MinPayload, byte seed = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(payloadLength);
        int length = Length(tags.Length, payloadLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, buffer.Length);
        destination.WriteTo(buffer);
        source.WriteTo(buffer[6..]);
        int at = 12;
        foreach (VlanTag tag in tags)
        {
            BinaryPrimitives.WriteUInt16BigEndian(buffer[at..], tag.Tpid);
            BinaryPrimitives.WriteUInt16BigEndian(buffer[(at + 2)..], tag.Tci);
            at += FrameParser.TagLength;
        }

        BinaryPrimitives.WriteUInt16BigEndian(buffer[at..], etherType);
        at += 2;
        for (int i = 0; i < payloadLength; i++)
        {
            buffer[at + i] = (byte)(seed + i);
        }

        return length;
    }

    /// <summary>Whether <paramref name="frame"/>'s payload (from <paramref name="payloadOffset"/>) follows <paramref name="seed"/>'s pattern.</summary>
    public static bool PayloadMatches(ReadOnlySpan<byte> frame, int payloadOffset, byte seed)
    {
        for (int i = payloadOffset; i < frame.Length; i++)
        {
            if (frame[i] != (byte)(seed + (i - payloadOffset)))
            {
                return false;
            }
        }

        return true;
    }
}
