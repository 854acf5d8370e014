using System.Buffers.Binary;
using System.Numerics;
using FastBridge.Rings;

namespace FastBridge.Capture;

/// <summary>Whether a captured frame was received on its port or sent by it (pcapng's epb_flags direction).</summary>
internal enum CaptureDirection : byte
{
    Inbound = 1,
    Outbound = 2,
}

/// <summary>What the ring keeps about one captured frame besides its bytes.</summary>
internal readonly record struct CaptureHeader(int PortId, CaptureDirection Direction, long Timestamp, int OriginalLength);

/// <summary>
/// A bounded single-producer single-consumer ring of frame copies: variable-length records in one preallocated byte
/// array, so a 60-byte ping takes 88 bytes and a 64 KiB super-frame its own size, each truncated to the snap length.
/// </summary>
/// <remarks>
/// Why a byte ring and not fixed slots: a slot big enough for a super-frame (64 KiB) would make a ring of a few
/// thousand small frames cost hundreds of MiB per worker. Records are 8-byte aligned: a 24-byte header (total size,
/// captured length, timestamp, original length, port, direction) then the bytes. A record never wraps: when it does
/// not fit before the end of the array, the producer writes a padding record there (captured length -1) and starts
/// again at 0. A record is at most half the ring, so an empty ring always has room for it.
/// Thread-safety: exactly one producer (the worker that owns the tap) and one consumer (the capture's reader). Free-running
/// 64-bit byte cursors, each on its own cache line; the producer publishes a record with a release store of its
/// cursor after writing it, the consumer frees it with a release store of its own after reading it. The producer
/// re-reads the consumer's cursor only when its cached copy says full.
/// Performance: one copy per frame into memory allocated when the capture started; a full ring refuses (the caller
/// counts the drop), nothing waits, nothing allocates.
/// </remarks>
internal sealed class CaptureRing
{
    public const int HeaderBytes = 24;
    public const int MinCapacity = 4096;

    private readonly byte[] _buffer;
    private readonly long _mask;
    private PaddedCursor _written;          // bytes published; written by the producer
    private PaddedCursor _read;             // bytes freed; written by the consumer
    private PaddedCursor _producerCachedRead;

    public CaptureRing(int capacity)
    {
        if (capacity < MinCapacity || !BitOperations.IsPow2(capacity))
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, $"A capture ring's size must be a power of two >= {MinCapacity}.");
        }

        _buffer = new byte[capacity];
        _mask = capacity - 1;
        MaxCaptured = (capacity / 2) - HeaderBytes;
    }

    public int Capacity => _buffer.Length;

    /// <summary>The most bytes of one frame a record can hold (half the ring, less the header).</summary>
    public int MaxCaptured { get; }

    /// <summary>Producer side: copies up to <paramref name="snaplen"/> bytes of <paramref name="frame"/>; false when the ring is full.</summary>
    public bool TryWrite(in CaptureHeader header, ReadOnlySpan<byte> frame, int snaplen)
    {
        int captured = Math.Min(Math.Min(frame.Length, snaplen), MaxCaptured);
        int total = Align8(HeaderBytes + captured);
        long written = _written.Value;
        int offset = (int)(written & _mask);
        int toEnd = _buffer.Length - offset;
        int need = total <= toEnd ? total : toEnd + total;
        if (_buffer.Length - (written - _producerCachedRead.Value) < need)
        {
            _producerCachedRead.Value = Volatile.Read(ref _read.Value);
            if (_buffer.Length - (written - _producerCachedRead.Value) < need)
            {
                return false;
            }
        }

        if (total > toEnd)
        {
            BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(offset), toEnd);
            BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(offset + 4), -1); // padding to the end of the array
            written += toEnd;
            offset = 0;
        }

        Span<byte> record = _buffer.AsSpan(offset, total);
        BinaryPrimitives.WriteInt32LittleEndian(record, total);
        BinaryPrimitives.WriteInt32LittleEndian(record[4..], captured);
        BinaryPrimitives.WriteInt64LittleEndian(record[8..], header.Timestamp);
        BinaryPrimitives.WriteInt32LittleEndian(record[16..], header.OriginalLength);
        BinaryPrimitives.WriteUInt16LittleEndian(record[20..], (ushort)header.PortId);
        record[22] = (byte)header.Direction;
        record[23] = 0;
        frame[..captured].CopyTo(record[HeaderBytes..]);
        Volatile.Write(ref _written.Value, written + total);
        return true;
    }

    /// <summary>
    /// Consumer side: the oldest record, without freeing it (<see cref="Consume"/> does); false when the ring is empty.
    /// The span stays valid until <see cref="Consume"/>.
    /// </summary>
    public bool TryPeek(out CaptureHeader header, out ReadOnlySpan<byte> captured)
    {
        long read = _read.Value;
        while (read != Volatile.Read(ref _written.Value))
        {
            ReadOnlySpan<byte> record = _buffer.AsSpan((int)(read & _mask));
            int total = BinaryPrimitives.ReadInt32LittleEndian(record);
            int length = BinaryPrimitives.ReadInt32LittleEndian(record[4..]);
            if (length < 0)
            {
                read += total; // padding to the end of the array
                Volatile.Write(ref _read.Value, read);
                continue;
            }

            header = new CaptureHeader(
                BinaryPrimitives.ReadUInt16LittleEndian(record[20..]),
                (CaptureDirection)record[22],
                BinaryPrimitives.ReadInt64LittleEndian(record[8..]),
                BinaryPrimitives.ReadInt32LittleEndian(record[16..]));
            captured = record.Slice(HeaderBytes, length);
            return true;
        }

        header = default;
        captured = default;
        return false;
    }

    /// <summary>Consumer side: frees the record <see cref="TryPeek"/> returned.</summary>
    public void Consume()
    {
        long read = _read.Value;
        int total = BinaryPrimitives.ReadInt32LittleEndian(_buffer.AsSpan((int)(read & _mask)));
        Volatile.Write(ref _read.Value, read + total);
    }

    private static int Align8(int n) => (n + 7) & ~7;
}
