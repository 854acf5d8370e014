using System.Buffers.Binary;

namespace FastBridge.Benchmarks;

/// <summary>Fixed test inputs: stations and Ethernet frames built the same way on every run.</summary>
internal static class Frames
{
    /// <summary>The packed value (as in <c>MacAddress.Value</c>) of station <paramref name="n"/>: 02:00:nn:nn:nn:nn.</summary>
    public static ulong Station(int n) => 0x02UL | ((ulong)(uint)n << 16);

    /// <summary>
    /// A frame of <paramref name="length"/> bytes from <paramref name="source"/> to <paramref name="destination"/>,
    /// untagged or with one 802.1Q tag in <paramref name="vlan"/>, IPv4 EtherType, payload a fixed pattern.
    /// </summary>
    public static byte[] Build(ulong destination, ulong source, int length, ushort? vlan = null)
    {
        byte[] frame = new byte[length];
        Span<byte> mac = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(mac, destination);
        mac[..6].CopyTo(frame);
        BinaryPrimitives.WriteUInt64LittleEndian(mac, source);
        mac[..6].CopyTo(frame.AsSpan(6));
        int offset = 12;
        if (vlan is ushort id)
        {
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(offset), 0x8100);
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(offset + 2), id);
            offset += 4;
        }

        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(offset), 0x0800);
        for (int i = offset + 2; i < length; i++)
        {
            frame[i] = (byte)i;
        }

        return frame;
    }
}
