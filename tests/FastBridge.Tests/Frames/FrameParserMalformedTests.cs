using FastBridge.Buffers;
using FastBridge.Diagnostics;
using FastBridge.Frames;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Frames;

/// <summary>Malformed frames: runts, truncated tags, invalid sources, oversize, and the precedence between them.</summary>
public sealed class FrameParserMalformedTests
{
    private static readonly MacAddress s_dst = MacAddress.Parse("02:aa:bb:cc:dd:01");
    private static readonly MacAddress s_src = MacAddress.Parse("02:aa:bb:cc:dd:02");

    public static TheoryData<ParserPath> Paths => ParserPaths.All;

    public static TheoryData<ParserPath, int> Lengths(int from, int to)
    {
        var data = new TheoryData<ParserPath, int>();
        foreach (ParserPath path in ParserPaths.All)
        {
            for (int length = from; length <= to; length++)
            {
                data.Add(path, length);
            }
        }

        return data;
    }

    public static TheoryData<ParserPath, string> InvalidSources()
    {
        var data = new TheoryData<ParserPath, string>();
        foreach (ParserPath path in ParserPaths.All)
        {
            foreach (string mac in new[] { "01:00:5e:00:00:01", "03:00:00:00:00:00", "ff:ff:ff:ff:ff:ff", "00:00:00:00:00:00" })
            {
                data.Add(path, mac);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Lengths), 0, 13)]
    public void Shorter_than_14_bytes_is_a_runt_with_every_other_field_zero(ParserPath path, int length)
    {
        // A tagged frame, so bytes that could look like a header are there; only the length decides.
        byte[] full = FrameBuilder.Tagged(MacAddress.Broadcast, s_src, 5, pcp: 3);

        FrameInfo info = path.Parse(full.AsSpan(0, length));

        FrameInfoAssert.Equal(new FrameInfo { Drop = DropReason.Runt }, info);
    }

    [Theory]
    [MemberData(nameof(Lengths), 14, 17)]
    public void Outer_tag_without_room_for_tag_and_type_is_truncated(ParserPath path, int length)
    {
        byte[] full = FrameBuilder.Tagged(MacAddress.Broadcast, s_src, 5, pcp: 3);

        FrameInfo info = path.Parse(full.AsSpan(0, length));

        FrameInfoAssert.Equal(
            new FrameInfo
            {
                Destination = MacAddress.Mask,
                Source = s_src.Value,
                Class = FrameClass.Broadcast,
                Drop = DropReason.TruncatedTag,
            },
            info);
    }

    [Theory]
    [MemberData(nameof(Lengths), 18, 21)]
    public void Inner_tag_without_room_for_tag_and_type_is_truncated(ParserPath path, int length)
    {
        byte[] full = FrameBuilder.Build(s_dst, s_src, [VlanTag.Dot1ad(100, 1), VlanTag.Dot1Q(200, 2)], FrameBuilder.EtherTypeIpv4);

        FrameInfo info = path.Parse(full.AsSpan(0, length));

        FrameInfoAssert.Equal(
            new FrameInfo
            {
                Destination = s_dst.Value,
                Source = s_src.Value,
                Class = FrameClass.Unicast,
                Drop = DropReason.TruncatedTag,
            },
            info);
    }

    [Theory]
    [MemberData(nameof(Lengths), 22, 26)]
    public void Third_tag_is_not_checked_for_room(ParserPath path, int length)
    {
        byte[] full = FrameBuilder.Build(s_dst, s_src, [VlanTag.Dot1ad(100), VlanTag.Dot1Q(200), VlanTag.Dot1Q(300)], FrameBuilder.EtherTypeIpv4);

        FrameInfo info = path.Parse(full.AsSpan(0, length));

        Assert.Equal(DropReason.None, info.Drop);
        Assert.Equal(FrameParser.TpidDot1Q, info.EtherType);
        Assert.Equal(22, info.PayloadOffset);
    }

    [Theory]
    [MemberData(nameof(InvalidSources))]
    public void Group_broadcast_or_zero_source_is_invalid_and_other_fields_are_filled(ParserPath path, string source)
    {
        MacAddress src = MacAddress.Parse(source);
        byte[] frame = FrameBuilder.Build(s_dst, src, [VlanTag.Dot1ad(10, 4), VlanTag.Dot1Q(20, 5)], FrameBuilder.EtherTypeIpv6);

        FrameInfoAssert.Equal(
            new FrameInfo
            {
                Destination = s_dst.Value,
                Source = src.Value,
                EtherType = FrameBuilder.EtherTypeIpv6,
                VlanId = 10,
                Priority = 4,
                InnerVlanId = 20,
                InnerPriority = 5,
                OuterTpid = FrameParser.TpidDot1ad,
                TagCount = 2,
                PayloadOffset = 22,
                Class = FrameClass.Unicast,
                Drop = DropReason.InvalidSource,
            },
            path.Parse(frame));
    }

    [Theory]
    [MemberData(nameof(InvalidSources))]
    public void Invalid_source_wins_over_truncated_tag(ParserPath path, string source)
    {
        byte[] full = FrameBuilder.Tagged(s_dst, MacAddress.Parse(source), 5);

        FrameInfo info = path.Parse(full.AsSpan(0, 17));

        Assert.Equal(DropReason.InvalidSource, info.Drop);
        Assert.Equal(MacAddress.Parse(source).Value, info.Source);
        Assert.Equal(0, info.TagCount);
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Invalid_source_on_a_header_only_frame_is_invalid(ParserPath path)
    {
        byte[] frame = FrameBuilder.Untagged(s_dst, MacAddress.Broadcast, payloadLength: 0);

        Assert.Equal(DropReason.InvalidSource, path.Parse(frame).Drop);
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Longer_than_max_frame_is_oversize_and_still_parsed(ParserPath path)
    {
        byte[] frame = new byte[PacketPool.MaxFrameLength + 1];
        FrameBuilder.Write(frame, s_dst, s_src, [VlanTag.Dot1Q(77, 6)], FrameBuilder.EtherTypeIpv4, 0);

        FrameInfoAssert.Equal(
            new FrameInfo
            {
                Destination = s_dst.Value,
                Source = s_src.Value,
                EtherType = FrameBuilder.EtherTypeIpv4,
                VlanId = 77,
                Priority = 6,
                OuterTpid = FrameParser.TpidDot1Q,
                TagCount = 1,
                PayloadOffset = 18,
                Class = FrameClass.Unicast,
                Drop = DropReason.Oversize,
            },
            path.Parse(frame));
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Exactly_max_frame_length_is_accepted(ParserPath path)
    {
        byte[] frame = new byte[PacketPool.MaxFrameLength];
        FrameBuilder.Write(frame, s_dst, s_src, [], FrameBuilder.EtherTypeIpv4, 0);

        Assert.Equal(DropReason.None, path.Parse(frame).Drop);
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Oversize_wins_over_invalid_source(ParserPath path)
    {
        byte[] frame = new byte[PacketPool.MaxFrameLength + 1];
        FrameBuilder.Write(frame, s_dst, MacAddress.Broadcast, [], FrameBuilder.EtherTypeIpv4, 0);

        FrameInfo info = path.Parse(frame);

        Assert.Equal(DropReason.Oversize, info.Drop);
        Assert.Equal(MacAddress.Mask, info.Source);
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Runt_wins_over_everything(ParserPath path)
    {
        // Zero source and a TPID-looking byte pair: still just a runt.
        byte[] frame = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0x81];

        FrameInfoAssert.Equal(new FrameInfo { Drop = DropReason.Runt }, path.Parse(frame));
    }
}
