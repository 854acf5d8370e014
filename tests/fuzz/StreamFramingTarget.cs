using System.Buffers;
using System.Buffers.Binary;
using FastBridge.Ports.QemuSocket;

namespace FastBridge.Fuzz;

/// <summary>
/// The <c>stream</c> target: the input is what a peer writes to a stream port's socket. The first byte picks how the
/// bytes are cut into pieces (as reads would hand them over); <see cref="StreamFraming"/> must cut the same frames out
/// of the pieced sequence as a plain reference reader does out of the flat bytes, stop at the same bad length, and never
/// throw.
/// </summary>
internal static class StreamFramingTarget
{
    public static void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }

        int piece = 1 + (input[0] % 64);
        byte[] bytes = input[1..].ToArray();
        ReadOnlySequence<byte> buffer = Pieces(bytes, piece);
        int at = 0;
        while (true)
        {
            StreamFrameStatus status = StreamFraming.Peek(buffer, out int length);
            StreamFrameStatus expected = Reference(bytes.AsSpan(at), out int expectedLength);
            if (status != expected || (status != StreamFrameStatus.NeedMore && length != expectedLength))
            {
                throw new InvalidOperationException($"at {at}: framing says {status} {length}, reference {expected} {expectedLength} (pieces of {piece})");
            }

            if (status != StreamFrameStatus.Frame)
            {
                return;
            }

            if (!StreamFraming.FrameOf(buffer, length).ToArray().AsSpan().SequenceEqual(bytes.AsSpan(at + 4, length)))
            {
                throw new InvalidOperationException($"at {at}: frame bytes differ");
            }

            buffer = buffer.Slice(StreamFraming.HeaderSize + length);
            at += StreamFraming.HeaderSize + length;
        }
    }

    private static StreamFrameStatus Reference(ReadOnlySpan<byte> rest, out int length)
    {
        length = 0;
        if (rest.Length < 4)
        {
            return StreamFrameStatus.NeedMore;
        }

        uint declared = BinaryPrimitives.ReadUInt32BigEndian(rest);
        length = (int)Math.Min(declared, int.MaxValue);
        if (declared is 0 or > 65535)
        {
            return StreamFrameStatus.BadLength;
        }

        return rest.Length - 4 < declared ? StreamFrameStatus.NeedMore : StreamFrameStatus.Frame;
    }

    private static ReadOnlySequence<byte> Pieces(byte[] bytes, int size)
    {
        if (bytes.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        Piece first = new(bytes.AsMemory(0, Math.Min(size, bytes.Length)), 0);
        Piece last = first;
        for (int at = size; at < bytes.Length; at += size)
        {
            var next = new Piece(bytes.AsMemory(at, Math.Min(size, bytes.Length - at)), at);
            last.Link(next);
            last = next;
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Piece : ReadOnlySequenceSegment<byte>
    {
        public Piece(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public void Link(Piece next) => Next = next;
    }
}
