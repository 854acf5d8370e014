using System.Buffers;
using System.Buffers.Binary;

namespace FastBridge.Ports.QemuSocket;

/// <summary>What <see cref="StreamFraming.Peek"/> found at the front of a byte stream.</summary>
internal enum StreamFrameStatus
{
    /// <summary>A whole frame is there: its length, then that many bytes.</summary>
    Frame,

    /// <summary>The length or the frame is not complete yet: read more.</summary>
    NeedMore,

    /// <summary>The length is 0 or over <see cref="StreamFraming.MaxFrameLength"/>: the peer breaks the protocol.</summary>
    BadLength,
}

/// <summary>
/// The framing of QEMU's <c>-netdev stream</c> and <c>-netdev socket</c>: each Ethernet frame is preceded by its length
/// as a 4-byte big-endian integer (no virtio-net header, no FCS, no padding; an ARP is <c>0000002a</c> + 42 bytes).
/// </summary>
/// <remarks>
/// Pure functions over a <see cref="ReadOnlySequence{T}"/>, so the port's reader, the unit tests and the fuzz target run
/// the same code on bytes split at any place. A length of 0 or above 65,535 (QEMU never sends one: its frames are
/// at most 65,535 bytes, the IPv4/TCP super-frame limit) is a protocol error, not a frame to skip: once a length is wrong
/// the stream cannot be resynchronized, so the peer is disconnected.
/// </remarks>
internal static class StreamFraming
{
    /// <summary>Bytes of the length in front of every frame.</summary>
    public const int HeaderSize = 4;

    /// <summary>Longest frame accepted and sent.</summary>
    public const int MaxFrameLength = 65535;

    /// <summary>
    /// Looks at the front of <paramref name="buffer"/> without consuming it: <see cref="StreamFrameStatus.Frame"/> with
    /// the frame's <paramref name="length"/> when the length and the whole frame are there; the caller then takes
    /// <see cref="FrameOf"/> and moves on by <see cref="HeaderSize"/> + length bytes.
    /// </summary>
    public static StreamFrameStatus Peek(in ReadOnlySequence<byte> buffer, out int length)
    {
        length = 0;
        if (buffer.Length < HeaderSize)
        {
            return StreamFrameStatus.NeedMore;
        }

        uint declared;
        ReadOnlySpan<byte> first = buffer.FirstSpan;
        if (first.Length >= HeaderSize)
        {
            declared = BinaryPrimitives.ReadUInt32BigEndian(first);
        }
        else
        {
            Span<byte> header = stackalloc byte[HeaderSize];
            buffer.Slice(0, HeaderSize).CopyTo(header);
            declared = BinaryPrimitives.ReadUInt32BigEndian(header);
        }

        if (declared == 0 || declared > MaxFrameLength)
        {
            length = declared > int.MaxValue ? int.MaxValue : (int)declared;
            return StreamFrameStatus.BadLength;
        }

        length = (int)declared;
        return buffer.Length - HeaderSize < declared ? StreamFrameStatus.NeedMore : StreamFrameStatus.Frame;
    }

    /// <summary>The frame bytes of a frame <see cref="Peek"/> found (its length first, then these).</summary>
    public static ReadOnlySequence<byte> FrameOf(in ReadOnlySequence<byte> buffer, int length) => buffer.Slice(HeaderSize, length);

    /// <summary>Writes the 4-byte length of a <paramref name="length"/>-byte frame.</summary>
    public static void WriteHeader(Span<byte> into, int length) => BinaryPrimitives.WriteUInt32BigEndian(into, (uint)length);
}
