using System.Buffers.Binary;
using System.Globalization;

namespace FastBridge.Frames;

/// <summary>
/// A 48-bit Ethernet address packed into the low 48 bits of a <see cref="ulong"/>, byte 0 (the first byte on the
/// wire) in the least significant byte. That is exactly what an unaligned little-endian 8-byte load of a frame's
/// first bytes gives after masking, so the dataplane never builds a MAC byte by byte (netmap VALE reads MACs the same
/// way).
/// </summary>
public readonly record struct MacAddress(ulong Value) : ISpanFormattable
{
    public const ulong Mask = 0xFFFF_FFFF_FFFFUL;

    public static MacAddress Broadcast => new(Mask);

    /// <summary>Group bit: the least significant bit of the first byte.</summary>
    public bool IsMulticast => (Value & 1) != 0;

    public bool IsBroadcast => (Value & Mask) == Mask;

    public bool IsZero => (Value & Mask) == 0;

    public static MacAddress FromBytes(ReadOnlySpan<byte> six)
    {
        if (six.Length < 6)
        {
            throw new ArgumentException("A MAC address has 6 bytes.", nameof(six));
        }

        return new(BinaryPrimitives.ReadUInt32LittleEndian(six) | ((ulong)BinaryPrimitives.ReadUInt16LittleEndian(six[4..]) << 32));
    }

    public void WriteTo(Span<byte> six)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(six, (uint)Value);
        BinaryPrimitives.WriteUInt16LittleEndian(six[4..], (ushort)(Value >> 32));
    }

    /// <summary>Parses <c>02:00:00:00:00:01</c> (also with <c>-</c> separators).</summary>
    public static bool TryParse(string? text, out MacAddress mac)
    {
        mac = default;
        if (text is null || text.Length != 17)
        {
            return false;
        }

        ulong value = 0;
        for (int i = 0; i < 6; i++)
        {
            int at = i * 3;
            if (i < 5 && text[at + 2] != ':' && text[at + 2] != '-')
            {
                return false;
            }

            if (!byte.TryParse(text.AsSpan(at, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out byte b))
            {
                return false;
            }

            value |= (ulong)b << (8 * i);
        }

        mac = new MacAddress(value);
        return true;
    }

    public static MacAddress Parse(string text) =>
        TryParse(text, out MacAddress mac) ? mac : throw new FormatException($"'{text}' is not a MAC address (expected aa:bb:cc:dd:ee:ff).");

    public override string ToString() => ToString(null, null);

    public string ToString(string? format, IFormatProvider? formatProvider)
    {
        Span<char> chars = stackalloc char[17];
        TryFormat(chars, out _, default, null);
        return new string(chars);
    }

    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
    {
        const string Hex = "0123456789abcdef";
        charsWritten = 0;
        if (destination.Length < 17)
        {
            return false;
        }

        for (int i = 0; i < 6; i++)
        {
            byte b = (byte)(Value >> (8 * i));
            destination[i * 3] = Hex[b >> 4];
            destination[(i * 3) + 1] = Hex[b & 0xF];
            if (i < 5)
            {
                destination[(i * 3) + 2] = ':';
            }
        }

        charsWritten = 17;
        return true;
    }
}
