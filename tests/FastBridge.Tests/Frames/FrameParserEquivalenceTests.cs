using System.Buffers.Binary;
using FastBridge.Buffers;
using FastBridge.Diagnostics;
using FastBridge.Frames;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Frames;

/// <summary>
/// Property test: on random frames, the scalar path, the vector path and a byte-by-byte reference model of the
/// specification agree on every field, and no path looks past the end of the frame.
/// </summary>
public sealed class FrameParserEquivalenceTests
{
    private static readonly ushort[] s_tpids = [FrameParser.TpidDot1Q, FrameParser.TpidDot1ad, FrameParser.TpidQinQ];

    [Fact]
    public void Scalar_and_vector_agree_with_the_reference_on_100000_random_frames()
    {
        var random = new Random(20240611);
        byte[] buffer = new byte[160];
        int tagged = 0;
        int doubleTagged = 0;
        int truncated = 0;
        for (int n = 0; n < 100_000; n++)
        {
            int length = random.Next(0, 101);
            int at = random.Next(0, 16);
            random.NextBytes(buffer);
            Span<byte> frame = buffer.AsSpan(at, length);
            Shape(random, frame);

            FrameParser.ParseScalar(frame, out FrameInfo scalar);
            FrameParser.ParseVector128(frame, out FrameInfo vector);
            FrameInfo expected = Reference(frame);
            FrameInfoAssert.Equal(expected, scalar, $"scalar, frame #{n} {Convert.ToHexString(frame)}");
            FrameInfoAssert.Equal(expected, vector, $"vector, frame #{n} {Convert.ToHexString(frame)}");

            // Different bytes after the frame must not change anything.
            random.NextBytes(buffer.AsSpan(at + length));
            FrameParser.ParseScalar(frame, out FrameInfo scalarAgain);
            FrameParser.ParseVector128(frame, out FrameInfo vectorAgain);
            FrameInfoAssert.Equal(expected, scalarAgain, $"scalar read past the end, frame #{n}");
            FrameInfoAssert.Equal(expected, vectorAgain, $"vector read past the end, frame #{n}");

            tagged += expected.TagCount >= 1 ? 1 : 0;
            doubleTagged += expected.TagCount == 2 ? 1 : 0;
            truncated += expected.Drop == DropReason.TruncatedTag ? 1 : 0;
        }

        // The generator must reach the interesting shapes often.
        Assert.True(tagged > 20_000, $"only {tagged} tagged frames");
        Assert.True(doubleTagged > 5_000, $"only {doubleTagged} double-tagged frames");
        Assert.True(truncated > 1_000, $"only {truncated} truncated-tag frames");
    }

    /// <summary>Injects TPIDs at 12, 16 and 20 and special addresses, each with good probability.</summary>
    private static void Shape(Random random, Span<byte> frame)
    {
        foreach (int offset in (ReadOnlySpan<int>)[12, 16, 20])
        {
            if (offset + 2 <= frame.Length && random.Next(4) != 0)
            {
                BinaryPrimitives.WriteUInt16BigEndian(frame[offset..], s_tpids[random.Next(s_tpids.Length)]);
            }
        }

        for (int offset = 0; offset <= 6; offset += 6)
        {
            if (offset + 6 > frame.Length)
            {
                break;
            }

            switch (random.Next(8))
            {
                case 0:
                    frame.Slice(offset, 6).Fill(0xFF);
                    break;
                case 1:
                    frame.Slice(offset, 6).Clear();
                    break;
                case 2:
                case 3:
                case 4:
                    frame[offset] &= 0xFE;
                    break;
            }
        }
    }

    /// <summary>The specification, read byte by byte, with no shared code.</summary>
    private static FrameInfo Reference(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < 14)
        {
            return new FrameInfo { Drop = DropReason.Runt };
        }

        var info = new FrameInfo();
        for (int i = 0; i < 6; i++)
        {
            info.Destination |= (ulong)frame[i] << (8 * i);
            info.Source |= (ulong)frame[6 + i] << (8 * i);
        }

        bool broadcast = frame[..6].IndexOfAnyExcept((byte)0xFF) < 0;
        info.Class = broadcast ? FrameClass.Broadcast : (frame[0] & 1) != 0 ? FrameClass.Multicast : FrameClass.Unicast;
        bool invalidSource = (frame[6] & 1) != 0 || frame.Slice(6, 6).IndexOfAnyExcept((byte)0) < 0;

        int offset = 12;
        bool truncatedTag = false;
        while (info.TagCount < 2 && Array.IndexOf(s_tpids, (ushort)((frame[offset] << 8) | frame[offset + 1])) >= 0)
        {
            if (frame.Length < offset + 4 + 2)
            {
                truncatedTag = true;
                break;
            }

            ushort tpid = (ushort)((frame[offset] << 8) | frame[offset + 1]);
            int tci = (frame[offset + 2] << 8) | frame[offset + 3];
            if (info.TagCount == 0)
            {
                info.OuterTpid = tpid;
                info.VlanId = (ushort)(tci & 0xFFF);
                info.Priority = (byte)(tci >> 13);
            }
            else
            {
                info.InnerVlanId = (ushort)(tci & 0xFFF);
                info.InnerPriority = (byte)(tci >> 13);
            }

            info.TagCount++;
            offset += 4;
        }

        if (truncatedTag)
        {
            return new FrameInfo
            {
                Destination = info.Destination,
                Source = info.Source,
                Class = info.Class,
                Drop = invalidSource ? DropReason.InvalidSource : DropReason.TruncatedTag,
            };
        }

        info.EtherType = (ushort)((frame[offset] << 8) | frame[offset + 1]);
        info.PayloadOffset = (ushort)(offset + 2);
        info.Drop = frame.Length > PacketPool.MaxFrameLength ? DropReason.Oversize
            : invalidSource ? DropReason.InvalidSource
            : DropReason.None;
        return info;
    }
}
