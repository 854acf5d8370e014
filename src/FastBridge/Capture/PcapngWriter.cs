using System.Buffers.Binary;
using System.Text;

namespace FastBridge.Capture;

/// <summary>
/// Writes a pcapng file (IETF draft-ietf-opsawg-pcapng): one section header, an interface description block per
/// interface (<c>if_name</c>, Ethernet, <c>if_tsresol</c> 9: nanoseconds), enhanced packet blocks with the direction
/// in <c>epb_flags</c>, and interface statistics blocks.
/// </summary>
/// <remarks>
/// Host byte order (little-endian here; readers learn it from the section header's byte-order magic). Every block
/// and option is padded to 32 bits. Each block is written whole with one <see cref="Stream.Write(ReadOnlySpan{byte})"/>
/// and, when <c>flushEachBlock</c> (a pipe to a live reader such as <c>tcpdump -r -</c>), flushed at once, so a
/// reader never waits for a half block. Not thread-safe: one writer per file.
/// </remarks>
internal sealed class PcapngWriter
{
    public const uint SectionHeaderType = 0x0A0D0D0A;
    public const uint InterfaceDescriptionType = 1;
    public const uint InterfaceStatisticsType = 5;
    public const uint EnhancedPacketType = 6;
    public const uint ByteOrderMagic = 0x1A2B3C4D;
    public const ushort LinkTypeEthernet = 1;

    private const ushort EndOfOptions = 0;
    private const ushort ShbUserApplication = 4;
    private const ushort IfName = 2;
    private const ushort IfTsResol = 9;
    private const ushort EpbFlags = 2;
    private const ushort IsbStartTime = 2;
    private const ushort IsbEndTime = 3;
    private const ushort IsbIfDrop = 5;
    private const ushort IsbFilterAccept = 6;
    private const ushort IsbUserDelivered = 8;

    private readonly Stream _output;
    private readonly bool _flushEachBlock;
    private byte[] _block = new byte[4096];
    private int _used;

    public PcapngWriter(Stream output, bool flushEachBlock)
    {
        _output = output;
        _flushEachBlock = flushEachBlock;
    }

    /// <summary>Interfaces described so far; the next one gets this number.</summary>
    public int Interfaces { get; private set; }

    /// <summary>The section header: byte-order magic, version 1.0, unknown section length, the writing application.</summary>
    public void WriteSectionHeader(string application)
    {
        Begin(SectionHeaderType);
        U32(ByteOrderMagic);
        U16(1);
        U16(0);
        U64(ulong.MaxValue); // section length not given (-1)
        StringOption(ShbUserApplication, application);
        End(withOptions: true);
    }

    /// <summary>Describes an Ethernet interface named <paramref name="name"/> with nanosecond timestamps; returns its number.</summary>
    public int WriteInterface(string name, int snaplen)
    {
        Begin(InterfaceDescriptionType);
        U16(LinkTypeEthernet);
        U16(0);
        U32((uint)snaplen);
        StringOption(IfName, name);
        Option(IfTsResol, [9]); // 10^-9 s
        End(withOptions: true);
        return Interfaces++;
    }

    /// <summary>One frame: <paramref name="captured"/> (at most the snap length) of a frame of <paramref name="originalLength"/> bytes.</summary>
    public void WritePacket(int interfaceId, long unixNanoseconds, CaptureDirection direction, int originalLength, ReadOnlySpan<byte> captured)
    {
        Begin(EnhancedPacketType);
        U32((uint)interfaceId);
        Timestamp(unixNanoseconds);
        U32((uint)captured.Length);
        U32((uint)originalLength);
        Bytes(captured);
        Span<byte> flags = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(flags, direction == CaptureDirection.Inbound ? 1u : 2u); // bits 0-1: 01 inbound, 10 outbound
        Option(EpbFlags, flags);
        End(withOptions: true);
    }

    /// <summary>
    /// Statistics of one interface at <paramref name="endNanoseconds"/>: when the capture started and ended, frames
    /// that passed the filter (<c>isb_filteraccept</c>), copies the capture dropped (<c>isb_ifdrop</c>, as dumpcap
    /// reports libpcap's ps_drop, so Wireshark shows them as "Dropped packets") and frames written
    /// (<c>isb_usrdeliv</c>). A null count is left out.
    /// </summary>
    public void WriteStatistics(int interfaceId, long startNanoseconds, long endNanoseconds, long? filterAccepted, long? dropped, long delivered)
    {
        Begin(InterfaceStatisticsType);
        U32((uint)interfaceId);
        Timestamp(endNanoseconds);
        Span<byte> value = stackalloc byte[8];
        TimestampValue(value, startNanoseconds);
        Option(IsbStartTime, value);
        TimestampValue(value, endNanoseconds);
        Option(IsbEndTime, value);
        if (dropped is { } d)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(value, (ulong)d);
            Option(IsbIfDrop, value);
        }

        if (filterAccepted is { } f)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(value, (ulong)f);
            Option(IsbFilterAccept, value);
        }

        BinaryPrimitives.WriteUInt64LittleEndian(value, (ulong)delivered);
        Option(IsbUserDelivered, value);
        End(withOptions: true);
    }

    public void Flush() => _output.Flush();

    private void Begin(uint type)
    {
        _used = 0;
        U32(type);
        U32(0); // total length, filled in by End
    }

    private void End(bool withOptions)
    {
        if (withOptions)
        {
            U16(EndOfOptions);
            U16(0);
        }

        int total = _used + 4;
        U32((uint)total);
        BinaryPrimitives.WriteUInt32LittleEndian(_block.AsSpan(4), (uint)total);
        _output.Write(_block, 0, _used);
        if (_flushEachBlock)
        {
            _output.Flush();
        }
    }

    private void Timestamp(long unixNanoseconds)
    {
        Span<byte> value = stackalloc byte[8];
        TimestampValue(value, unixNanoseconds);
        Bytes(value);
    }

    /// <summary>A pcapng timestamp: the high 32 bits, then the low 32 bits, of a count of if_tsresol units.</summary>
    private static void TimestampValue(Span<byte> to, long units)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(to, (uint)((ulong)units >> 32));
        BinaryPrimitives.WriteUInt32LittleEndian(to[4..], (uint)units);
    }

    private void StringOption(ushort code, string text) => Option(code, Encoding.UTF8.GetBytes(text));

    private void Option(ushort code, ReadOnlySpan<byte> value)
    {
        U16(code);
        U16((ushort)value.Length);
        Bytes(value);
    }

    /// <summary>Appends <paramref name="bytes"/> padded with zeros to a multiple of 4.</summary>
    private void Bytes(ReadOnlySpan<byte> bytes)
    {
        int padded = (bytes.Length + 3) & ~3;
        Span<byte> to = Room(padded);
        bytes.CopyTo(to);
        to[bytes.Length..].Clear();
        _used += padded;
    }

    private void U16(ushort value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(Room(2), value);
        _used += 2;
    }

    private void U32(uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(Room(4), value);
        _used += 4;
    }

    private void U64(ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(Room(8), value);
        _used += 8;
    }

    private Span<byte> Room(int bytes)
    {
        if (_used + bytes + 8 > _block.Length)
        {
            Array.Resize(ref _block, Math.Max(_block.Length * 2, _used + bytes + 64));
        }

        return _block.AsSpan(_used, bytes);
    }
}
