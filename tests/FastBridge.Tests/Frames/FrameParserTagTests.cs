using FastBridge.Diagnostics;
using FastBridge.Frames;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Frames;

/// <summary>Well-formed frames: every field of <see cref="FrameInfo"/> for untagged, single-, double- and triple-tagged frames.</summary>
public sealed class FrameParserTagTests
{
    private static readonly MacAddress s_a = MacAddress.Parse("02:11:22:33:44:55");
    private static readonly MacAddress s_b = MacAddress.Parse("0a:bb:cc:dd:ee:01");

    public static TheoryData<ParserPath> Paths => ParserPaths.All;

    public static TheoryData<ParserPath, byte> PathsAndPriorities()
    {
        var data = new TheoryData<ParserPath, byte>();
        foreach (ParserPath path in ParserPaths.All)
        {
            for (byte pcp = 0; pcp < 8; pcp++)
            {
                data.Add(path, pcp);
            }
        }

        return data;
    }

    public static TheoryData<ParserPath, ushort> PathsAndEdgeVlans()
    {
        var data = new TheoryData<ParserPath, ushort>();
        foreach (ParserPath path in ParserPaths.All)
        {
            foreach (ushort vid in new ushort[] { 0, 1, 2, 100, 2048, 4094, 4095 })
            {
                data.Add(path, vid);
            }
        }

        return data;
    }

    /// <summary>
    /// Well-formed frames and every field the parser must fill: the tags on the wire (outermost first), the EtherType
    /// after them, then the expected EtherType, outer VID/PCP, inner VID/PCP, outer TPID, tag count and payload offset.
    /// </summary>
    private static readonly Dictionary<string, (VlanTag[] Tags, ushort WireType, FrameInfo Expected)> s_wellFormed = new()
    {
        ["untagged IPv6"] = ([], FrameBuilder.EtherTypeIpv6, Expect(FrameBuilder.EtherTypeIpv6, 0, 0, 0, 0, 0, 0, 14)),
        ["802.1Q vid 42 pcp 5"] = ([VlanTag.Dot1Q(42, 5)], FrameBuilder.EtherTypeIpv4,
            Expect(FrameBuilder.EtherTypeIpv4, 42, 5, 0, 0, FrameParser.TpidDot1Q, 1, 18)),
        ["802.1ad 300 over 802.1Q 17"] = ([VlanTag.Dot1ad(300, 6), VlanTag.Dot1Q(17, 2)], FrameBuilder.EtherTypeIpv4,
            Expect(FrameBuilder.EtherTypeIpv4, 300, 6, 17, 2, FrameParser.TpidDot1ad, 2, 22)),

        // Two tags at most: a third TPID is reported as the EtherType.
        ["triple-tagged"] = ([VlanTag.Dot1ad(1000, 7), VlanTag.Dot1Q(2000, 4), VlanTag.QinQ(3000, 1)], FrameBuilder.EtherTypeIpv4,
            Expect(FrameParser.TpidQinQ, 1000, 7, 2000, 4, FrameParser.TpidDot1ad, 2, 22)),
    };

    public static TheoryData<ParserPath, string> PathsAndWellFormedFrames()
    {
        var data = new TheoryData<ParserPath, string>();
        foreach (ParserPath path in Enum.GetValues<ParserPath>())
        {
            foreach (string name in s_wellFormed.Keys)
            {
                data.Add(path, name);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(PathsAndWellFormedFrames))]
    public void Well_formed_frame_fills_every_field(ParserPath path, string frame)
    {
        var (tags, wireType, expected) = s_wellFormed[frame];

        FrameInfoAssert.Equal(expected, path.Parse(FrameBuilder.Build(s_a, s_b, tags, wireType)), frame);
    }

    private static FrameInfo Expect(ushort etherType, ushort vid, byte pcp, ushort innerVid, byte innerPcp, ushort outerTpid, byte tagCount, ushort payloadOffset) =>
        new()
        {
            Destination = s_a.Value,
            Source = s_b.Value,
            EtherType = etherType,
            VlanId = vid,
            Priority = pcp,
            InnerVlanId = innerVid,
            InnerPriority = innerPcp,
            OuterTpid = outerTpid,
            TagCount = tagCount,
            PayloadOffset = payloadOffset,
            Class = FrameClass.Unicast,
            Drop = DropReason.None,
        };

    [Theory]
    [MemberData(nameof(Paths))]
    public void Exactly_14_bytes_untagged_is_well_formed(ParserPath path)
    {
        byte[] frame = FrameBuilder.Untagged(s_a, s_b, FrameBuilder.EtherTypeArp, payloadLength: 0);
        Assert.Equal(14, frame.Length);

        FrameInfo info = path.Parse(frame);

        Assert.Equal(DropReason.None, info.Drop);
        Assert.Equal(FrameBuilder.EtherTypeArp, info.EtherType);
        Assert.Equal(14, info.PayloadOffset);
        Assert.Equal(0, info.TagCount);
        Assert.Equal(s_a, info.DestinationMac);
        Assert.Equal(s_b, info.SourceMac);
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Legacy_QinQ_9100_is_a_tag(ParserPath path)
    {
        byte[] single = FrameBuilder.Build(s_a, s_b, [VlanTag.QinQ(7, 1)], FrameBuilder.EtherTypeArp);
        byte[] stacked = FrameBuilder.Build(s_a, s_b, [VlanTag.QinQ(7, 1), VlanTag.Dot1Q(8, 3)], FrameBuilder.EtherTypeArp);

        FrameInfo one = path.Parse(single);
        FrameInfo two = path.Parse(stacked);

        Assert.Equal((1, FrameParser.TpidQinQ, (ushort)7, (byte)1, FrameBuilder.EtherTypeArp, (ushort)18), (one.TagCount, one.OuterTpid, one.VlanId, one.Priority, one.EtherType, one.PayloadOffset));
        Assert.Equal((2, FrameParser.TpidQinQ, (ushort)7, (ushort)8, (byte)3, FrameBuilder.EtherTypeArp, (ushort)22), (two.TagCount, two.OuterTpid, two.VlanId, two.InnerVlanId, two.InnerPriority, two.EtherType, two.PayloadOffset));
        Assert.Equal(DropReason.None, one.Drop);
        Assert.Equal(DropReason.None, two.Drop);
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Inner_tag_may_use_any_tpid(ParserPath path)
    {
        byte[] frame = FrameBuilder.Build(s_a, s_b, [VlanTag.Dot1Q(10), VlanTag.Dot1ad(20)], FrameBuilder.EtherTypeIpv4);

        FrameInfo info = path.Parse(frame);

        Assert.Equal((2, (ushort)10, (ushort)20, FrameParser.TpidDot1Q), (info.TagCount, info.VlanId, info.InnerVlanId, info.OuterTpid));
    }

    [Theory]
    [MemberData(nameof(PathsAndPriorities))]
    public void Every_priority_is_read_from_both_tags(ParserPath path, byte pcp)
    {
        byte inner = (byte)(7 - pcp);
        byte[] frame = FrameBuilder.Build(s_a, s_b, [VlanTag.Dot1ad(4095, pcp), VlanTag.Dot1Q(4095, inner)], FrameBuilder.EtherTypeIpv4);

        FrameInfo info = path.Parse(frame);

        Assert.Equal(pcp, info.Priority);
        Assert.Equal(inner, info.InnerPriority);
        Assert.Equal(4095, info.VlanId);
        Assert.Equal(4095, info.InnerVlanId);
    }

    [Theory]
    [MemberData(nameof(PathsAndEdgeVlans))]
    public void Edge_vlan_ids_are_reported_as_is(ParserPath path, ushort vid)
    {
        byte[] single = FrameBuilder.Tagged(s_a, s_b, vid, pcp: 7);
        byte[] stacked = FrameBuilder.Build(s_a, s_b, [VlanTag.Dot1ad((ushort)(4095 - vid), 0), VlanTag.Dot1Q(vid, 0)], FrameBuilder.EtherTypeIpv4);

        FrameInfo one = path.Parse(single);
        FrameInfo two = path.Parse(stacked);

        Assert.Equal(vid, one.VlanId);
        Assert.Equal(7, one.Priority);
        Assert.Equal(4095 - vid, two.VlanId);
        Assert.Equal(vid, two.InnerVlanId);
        Assert.Equal(DropReason.None, one.Drop);
        Assert.Equal(DropReason.None, two.Drop);
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Dei_bit_is_ignored(ParserPath path)
    {
        byte[] withDei = FrameBuilder.Build(s_a, s_b, [new VlanTag(FrameParser.TpidDot1ad, 3, 4094, Dei: true), new VlanTag(FrameParser.TpidDot1Q, 5, 1, Dei: true)], FrameBuilder.EtherTypeIpv4);
        byte[] without = FrameBuilder.Build(s_a, s_b, [new VlanTag(FrameParser.TpidDot1ad, 3, 4094), new VlanTag(FrameParser.TpidDot1Q, 5, 1)], FrameBuilder.EtherTypeIpv4);

        FrameInfo info = path.Parse(withDei);

        FrameInfoAssert.Equal(path.Parse(without), info);
        Assert.Equal((4094, 3, 1, 5), (info.VlanId, info.Priority, info.InnerVlanId, info.InnerPriority));
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Tpid_lookalikes_are_ethertypes(ParserPath path)
    {
        foreach (ushort type in new ushort[] { 0x8101, 0x0081, 0x88A9, 0x9200, 0x8847, 0xFFFF, 0x0000 })
        {
            FrameInfo info = path.Parse(FrameBuilder.Untagged(s_a, s_b, type));

            Assert.Equal(type, info.EtherType);
            Assert.Equal(0, info.TagCount);
            Assert.Equal(0, info.OuterTpid);
            Assert.Equal(14, info.PayloadOffset);
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Tagged_frame_with_no_payload_is_well_formed(ParserPath path)
    {
        byte[] single = FrameBuilder.Tagged(s_a, s_b, 5, payloadLength: 0);
        byte[] stacked = FrameBuilder.Build(s_a, s_b, [VlanTag.Dot1ad(5), VlanTag.Dot1Q(6)], FrameBuilder.EtherTypeIpv4, payloadLength: 0);

        Assert.Equal(18, single.Length);
        Assert.Equal(22, stacked.Length);
        Assert.Equal((DropReason.None, 1, (ushort)18), (path.Parse(single).Drop, path.Parse(single).TagCount, path.Parse(single).PayloadOffset));
        Assert.Equal((DropReason.None, 2, (ushort)22), (path.Parse(stacked).Drop, path.Parse(stacked).TagCount, path.Parse(stacked).PayloadOffset));
    }
}
