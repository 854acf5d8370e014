using System.Buffers;
using CsCheck;
using FastBridge.Ports.QemuSocket;

namespace FastBridge.Tests.Ports.QemuSocket;

/// <summary>The length framing of QEMU's stream netdev, on bytes cut at any place (the reader's pipe hands over such pieces).</summary>
public sealed class StreamFramingTests
{
    [Fact]
    public void An_arp_is_its_length_then_its_bytes()
    {
        byte[] arp = new byte[42];
        arp[0] = 0xff;
        var bytes = new ReadOnlySequence<byte>(StreamPeer.Framed(arp));
        Assert.Equal([0, 0, 0, 0x2a, 0xff], bytes.Slice(0, 5).ToArray());
        Assert.Equal(StreamFrameStatus.Frame, StreamFraming.Peek(bytes, out int length));
        Assert.Equal(42, length);
        Assert.Equal(arp, StreamFraming.FrameOf(bytes, length).ToArray());
    }

    [Theory]
    [InlineData(new byte[] { 0, 0, 0, 0 }, 0)]
    [InlineData(new byte[] { 0, 1, 0, 0 }, 65536)]
    [InlineData(new byte[] { 0xff, 0xff, 0xff, 0xff }, int.MaxValue)]
    [InlineData(new byte[] { 0x80, 0, 0, 1 }, int.MaxValue)]
    public void A_length_of_zero_or_over_65535_is_bad(byte[] header, int reported)
    {
        Assert.Equal(StreamFrameStatus.BadLength, StreamFraming.Peek(new ReadOnlySequence<byte>(header), out int length));
        Assert.Equal(reported, length);
    }

    [Fact]
    public void The_longest_frame_is_65535_bytes()
    {
        byte[] frame = new byte[65535];
        Assert.Equal(StreamFrameStatus.Frame, StreamFraming.Peek(new ReadOnlySequence<byte>(StreamPeer.Framed(frame)), out int length));
        Assert.Equal(65535, length);
    }

    [Fact]
    public void A_header_or_frame_not_yet_complete_needs_more()
    {
        byte[] bytes = StreamPeer.Framed(new byte[60]);
        for (int cut = 0; cut < bytes.Length; cut++)
        {
            Assert.Equal(StreamFrameStatus.NeedMore, StreamFraming.Peek(new ReadOnlySequence<byte>(bytes, 0, cut), out _));
        }
    }

    [Fact]
    public void Frames_come_out_whole_whatever_pieces_the_stream_arrives_in()
    {
        Gen.Select(Gen.Byte.Array[1, 300].List[1, 8], Gen.Int[1, 97].Array[1, 20]).Sample((frames, cuts) =>
        {
            byte[] bytes = StreamPeer.Framed([.. frames]);
            ReadOnlySequence<byte> buffer = Segmented(bytes, cuts);
            var got = new List<byte[]>();
            while (StreamFraming.Peek(buffer, out int length) == StreamFrameStatus.Frame)
            {
                got.Add(StreamFraming.FrameOf(buffer, length).ToArray());
                buffer = buffer.Slice(StreamFraming.HeaderSize + length);
            }

            return buffer.Length == 0 && got.Count == frames.Count && got.Zip(frames).All(p => p.First.AsSpan().SequenceEqual(p.Second));
        });
    }

    /// <summary><paramref name="bytes"/> as a sequence of segments of the given sizes (cycled).</summary>
    internal static ReadOnlySequence<byte> Segmented(byte[] bytes, int[] sizes)
    {
        Segment? first = null;
        Segment? last = null;
        int at = 0;
        for (int i = 0; at < bytes.Length; i++)
        {
            int size = Math.Min(sizes[i % sizes.Length], bytes.Length - at);
            var piece = new Segment(bytes.AsMemory(at, size), at);
            if (last is null)
            {
                first = piece;
            }
            else
            {
                last.SetNext(piece);
            }

            last = piece;
            at += size;
        }

        return first is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(first, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public void SetNext(Segment next) => Next = next;
    }
}
