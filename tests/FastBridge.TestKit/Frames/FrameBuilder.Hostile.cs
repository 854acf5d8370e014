using System.Buffers.Binary;
using FastBridge.Diagnostics;
using FastBridge.Frames;

namespace FastBridge.Tests.Infrastructure;

/// <summary>One frame of a hostile corpus: its bytes and what kind of hostility it stands for (for messages).</summary>
public readonly record struct HostileFrame(byte[] Bytes, string Kind);

/// <summary>
/// Malformed and hostile frames, and the ingress outcome each must have, computed by a reference rule written from
/// <see cref="DropReason"/>'s documentation rather than from the parser's code: shorter than 14 bytes is a runt;
/// longer than 65,536 is oversize; then a multicast, broadcast or all-zero source is invalid; then a TPID at offset 12
/// without its tag and type (fewer than 18 bytes), or a second TPID at 16 without its tag and type (fewer than 22),
/// is a truncated tag. Everything else is well formed (a third stacked TPID is just the EtherType).
/// </summary>
public static partial class FrameBuilder
{
    private static readonly ushort[] s_tpids = [FrameParser.TpidDot1Q, FrameParser.TpidDot1ad, FrameParser.TpidQinQ];

    /// <summary>The ingress drop reason the reference rule expects for <paramref name="frame"/> (None when well formed).</summary>
    public static DropReason ExpectedDrop(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < 14)
        {
            return DropReason.Runt;
        }

        if (frame.Length > 65_536)
        {
            return DropReason.Oversize;
        }

        ReadOnlySpan<byte> source = frame.Slice(6, 6);
        if ((source[0] & 1) != 0 || !source.ContainsAnyExcept((byte)0))
        {
            return DropReason.InvalidSource;
        }

        if (IsTpid(frame, 12))
        {
            if (frame.Length < 18)
            {
                return DropReason.TruncatedTag;
            }

            if (IsTpid(frame, 16) && frame.Length < 22)
            {
                return DropReason.TruncatedTag;
            }
        }

        return DropReason.None;
    }

    /// <summary>
    /// <see cref="ExpectedDrop"/> for a frame from one port, plus the stations already learned on that port: a frame to
    /// one of them is filtered (same-port). Learns the frame's source into <paramref name="learned"/> when it is well formed.
    /// </summary>
    public static DropReason PredictDrop(ReadOnlySpan<byte> frame, HashSet<(ulong Mac, int Vlan)> learned)
    {
        DropReason reason = ExpectedDrop(frame);
        if (reason != DropReason.None)
        {
            return reason; // a dropped frame teaches the switch nothing
        }

        int vlan = 0;
        if (FrameParser.IsTpid(BinaryPrimitives.ReadUInt16BigEndian(frame[12..])))
        {
            vlan = BinaryPrimitives.ReadUInt16BigEndian(frame[14..]) & 0x0FFF;
        }

        ulong destination = Destination(frame);
        bool filtered = (destination & 1) == 0 && learned.Contains((destination, vlan));
        learned.Add((Source(frame), vlan));
        return filtered ? DropReason.SamePort : DropReason.None;
    }

    /// <summary>Destination of a well-formed frame, as the 6 bytes at offset 0.</summary>
    public static ulong Destination(ReadOnlySpan<byte> frame) => MacAddress.FromBytes(frame[..6]).Value;

    public static ulong Source(ReadOnlySpan<byte> frame) => MacAddress.FromBytes(frame.Slice(6, 6)).Value;

    private static bool IsTpid(ReadOnlySpan<byte> frame, int offset) =>
        frame.Length >= offset + 2 && FrameParser.IsTpid(BinaryPrimitives.ReadUInt16BigEndian(frame[offset..]));

    /// <summary>
    /// <paramref name="length"/> bytes: destination, source, then <paramref name="types"/> (TPIDs and TCIs, or an
    /// EtherType) in order, then a byte pattern; everything cut at <paramref name="length"/>.
    /// </summary>
    public static byte[] Raw(MacAddress destination, ReadOnlySpan<byte> source, int length, params ushort[] types)
    {
        byte[] frame = new byte[length];
        Span<byte> header = stackalloc byte[12 + (2 * types.Length)];
        destination.WriteTo(header);
        source.CopyTo(header[6..]);
        for (int i = 0; i < types.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(header[(12 + (2 * i))..], types[i]);
        }

        header[..Math.Min(header.Length, length)].CopyTo(frame);
        for (int i = header.Length; i < length; i++)
        {
            frame[i] = (byte)i;
        }

        return frame;
    }

    /// <summary>
    /// The malformed and hostile part of the corpus, every frame at least 14 bytes (what a TAP can carry; shorter ones
    /// are covered through a <see cref="Ports.MemoryPort"/>): truncated 802.1Q, 802.1ad and QinQ tags, stacked tags,
    /// invalid sources, random bytes. <paramref name="station"/> is a well-formed unicast source for the frames whose
    /// point is not their source.
    /// </summary>
    public static List<HostileFrame> Malformed(MacAddress destination, MacAddress station, int seed, int randomCount)
    {
        var corpus = new List<HostileFrame>();
        byte[] good = new byte[6];
        station.WriteTo(good);

        foreach (ushort tpid in s_tpids)
        {
            // One TPID with 0..3 bytes of its tag and type: 14..17 bytes.
            for (int length = 14; length < 18; length++)
            {
                corpus.Add(new(Raw(destination, good, length, tpid, 0x0005, EtherTypeExperimental), $"truncated tag 0x{tpid:X4} ({length} bytes)"));
            }

            // Two TPIDs, the inner one cut: 18..21 bytes.
            foreach (ushort inner in s_tpids)
            {
                for (int length = 18; length < 22; length++)
                {
                    corpus.Add(new(Raw(destination, good, length, tpid, 0x0007, inner, 0x0009, EtherTypeExperimental), $"truncated inner tag 0x{tpid:X4}/0x{inner:X4} ({length} bytes)"));
                }
            }

            // Three and four stacked tags: well formed (the third TPID is reported as the EtherType).
            foreach (int length in (int[])[22, 23, 25, 26, 60, 1518])
            {
                corpus.Add(new(Raw(destination, good, length, tpid, 1, tpid, 2, tpid, 3, EtherTypeExperimental), $"triple tag 0x{tpid:X4} ({length} bytes)"));
                corpus.Add(new(Raw(destination, good, length, tpid, 1, tpid, 2, tpid, 3, tpid, 4, EtherTypeExperimental), $"quadruple tag 0x{tpid:X4} ({length} bytes)"));
            }
        }

        // Invalid sources, untagged and with a truncated tag (the source wins).
        byte[][] sources =
        [
            [0xff, 0xff, 0xff, 0xff, 0xff, 0xff], // broadcast
            [0x01, 0x00, 0x5e, 0x00, 0x00, 0x01], // IPv4 multicast
            [0x33, 0x33, 0x00, 0x00, 0x00, 0x01], // IPv6 multicast
            [0x01, 0x80, 0xc2, 0x00, 0x00, 0x00], // STP
            [0x03, 0x00, 0x00, 0x00, 0x00, 0x00], // group bit on a locally administered address
            [0x00, 0x00, 0x00, 0x00, 0x00, 0x00], // zero
        ];
        foreach (byte[] source in sources)
        {
            string name = Format(source);
            foreach (int length in (int[])[14, 15, 60, 1514, 2049])
            {
                corpus.Add(new(Raw(destination, source, length, EtherTypeExperimental), $"source {name} ({length} bytes)"));
                corpus.Add(new(Raw(MacAddress.Broadcast, source, length, 0x0806), $"ARP-like broadcast from {name} ({length} bytes)"));
            }

            corpus.Add(new(Raw(destination, source, 16, FrameParser.TpidDot1Q, 5), $"source {name} with a truncated tag"));
        }

        // Random bytes: lengths mostly within an ordinary MTU, a few jumbo; half have the group bit in the source.
        var random = new Random(seed);
        for (int i = 0; i < randomCount; i++)
        {
            int length = i % 16 == 0 ? random.Next(1515, 9001) : random.Next(14, 1515);
            byte[] frame = new byte[length];
            random.NextBytes(frame);
            if (i % 4 == 1)
            {
                // A TPID at 12 (and sometimes at 16) so random frames exercise the tag walk too.
                BinaryPrimitives.WriteUInt16BigEndian(frame[12..], s_tpids[i % 3]);
                if (length >= 18 && i % 8 == 1)
                {
                    BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(16), s_tpids[(i / 8) % 3]);
                }
            }

            corpus.Add(new(frame, $"random #{i} ({length} bytes)"));
        }

        return corpus;
    }
}
