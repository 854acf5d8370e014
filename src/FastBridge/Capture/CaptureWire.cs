using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace FastBridge.Capture;

/// <summary>
/// The frame stream a capture connection turns into after its <c>{"ok":true,...}</c> line (docs/protocol.md,
/// "Capture"): length-prefixed records, little-endian. Every record starts with <c>u32 kind</c> and <c>u32 length</c>
/// (bytes that follow). Kind 1, a frame: <c>u32 port id</c>, <c>u32 direction</c> (1 received on the port, 2 sent by
/// it), <c>u64 timestamp</c> (nanoseconds since the Unix epoch), <c>u32 original length</c>, then the captured bytes.
/// Kind 2, an event: one JSON object (<see cref="CaptureEvent"/>).
/// </summary>
internal static class CaptureWire
{
    public const uint FrameKind = 1;
    public const uint EventKind = 2;
    public const int HeaderBytes = 8;
    public const int FrameFixedBytes = 20;

    /// <summary>The longest record a reader accepts (a frame of up to 1 MiB, or an event).</summary>
    public const int MaxRecordBytes = 1 << 20;

    public static int FrameRecordBytes(int captured) => HeaderBytes + FrameFixedBytes + captured;

    /// <summary>Writes a frame record at the start of <paramref name="to"/>; returns its size.</summary>
    public static int WriteFrame(Span<byte> to, int portId, CaptureDirection direction, long unixNanoseconds, int originalLength, ReadOnlySpan<byte> captured)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(to, FrameKind);
        BinaryPrimitives.WriteUInt32LittleEndian(to[4..], (uint)(FrameFixedBytes + captured.Length));
        BinaryPrimitives.WriteUInt32LittleEndian(to[8..], (uint)portId);
        BinaryPrimitives.WriteUInt32LittleEndian(to[12..], (uint)direction);
        BinaryPrimitives.WriteInt64LittleEndian(to[16..], unixNanoseconds);
        BinaryPrimitives.WriteUInt32LittleEndian(to[24..], (uint)originalLength);
        captured.CopyTo(to[(HeaderBytes + FrameFixedBytes)..]);
        return FrameRecordBytes(captured.Length);
    }

    /// <summary>An event record, whole.</summary>
    public static byte[] Event(CaptureEvent e)
    {
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(e, CaptureJson.Default.CaptureEvent);
        byte[] record = new byte[HeaderBytes + json.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(record, EventKind);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(4), (uint)json.Length);
        json.CopyTo(record, HeaderBytes);
        return record;
    }

    /// <summary>Reads a frame record's fixed part (the bytes after the 8-byte header).</summary>
    public static (int PortId, CaptureDirection Direction, long UnixNanoseconds, int OriginalLength) ReadFrame(ReadOnlySpan<byte> body) => (
        (int)BinaryPrimitives.ReadUInt32LittleEndian(body),
        (CaptureDirection)BinaryPrimitives.ReadUInt32LittleEndian(body[4..]),
        BinaryPrimitives.ReadInt64LittleEndian(body[8..]),
        (int)BinaryPrimitives.ReadUInt32LittleEndian(body[16..]));

    /// <summary>
    /// Cuts the next whole record off <paramref name="buffer"/>: its kind and body. False when the buffer holds only part
    /// of one; throws <see cref="InvalidDataException"/> for a record longer than <see cref="MaxRecordBytes"/> or of an
    /// unknown kind (the stream is then not a capture stream).
    /// </summary>
    public static bool TryRead(ref System.Buffers.ReadOnlySequence<byte> buffer, out uint kind, out System.Buffers.ReadOnlySequence<byte> body)
    {
        kind = 0;
        body = default;
        if (buffer.Length < HeaderBytes)
        {
            return false;
        }

        Span<byte> header = stackalloc byte[HeaderBytes];
        System.Buffers.BuffersExtensions.CopyTo(buffer.Slice(0, HeaderBytes), header);
        kind = BinaryPrimitives.ReadUInt32LittleEndian(header);
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
        if (kind is not (FrameKind or EventKind) || length > MaxRecordBytes || (kind == FrameKind && length < FrameFixedBytes))
        {
            throw new InvalidDataException($"not a capture record (kind {kind}, {length} bytes)");
        }

        if (buffer.Length < HeaderBytes + length)
        {
            return false;
        }

        body = buffer.Slice(HeaderBytes, length);
        buffer = buffer.Slice(HeaderBytes + length);
        return true;
    }

    public static CaptureEvent? ReadEvent(ReadOnlySpan<byte> body) => JsonSerializer.Deserialize(body, CaptureJson.Default.CaptureEvent);
}

/// <summary>
/// A control record of the capture stream. <c>port</c>: a port the capture may see (<see cref="Id"/>,
/// <see cref="Name"/>), sent for every watched port at the start and for a port first seen later. <c>end</c>: the
/// last record (<see cref="Reason"/>: count, stopped, switch-stopping; <see cref="Ports"/>: per port what matched and
/// what the capture dropped).
/// </summary>
internal sealed class CaptureEvent
{
    public string Event { get; set; } = "";

    public int? Id { get; set; }

    public string? Name { get; set; }

    public string? Reason { get; set; }

    public List<CapturePortTotals>? Ports { get; set; }
}

/// <summary>What one port gave a capture: frames that matched its filter, copies it dropped (ring full).</summary>
internal sealed class CapturePortTotals
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public long Matched { get; set; }

    public long Dropped { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CaptureEvent))]
internal sealed partial class CaptureJson : JsonSerializerContext;
