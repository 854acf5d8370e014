using FastBridge.Buffers;
using FastBridge.Dataplane;
using FastBridge.Frames;
using FastBridge.Offloads;
using FastBridge.Switching;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Vlans;

/// <summary>Tag push, pop and rewrite on pool buffers: bytes, priority bits, offload offsets, buffers too small.</summary>
public sealed class VlanTaggingTests
{
    private static MacAddress A => Stations.Address(1);

    [Theory]
    [InlineData(false, 0, 10, VlanMode.Trunk, (int)TagAction.Push)]
    [InlineData(true, 10, 10, VlanMode.Trunk, (int)TagAction.Keep)]
    [InlineData(true, 0, 10, VlanMode.Trunk, (int)TagAction.Rewrite)]
    [InlineData(true, 10, 10, VlanMode.Access, (int)TagAction.Pop)]
    [InlineData(false, 0, 10, VlanMode.Access, (int)TagAction.Keep)]
    [InlineData(false, 0, 0, VlanMode.None, (int)TagAction.Keep)]
    [InlineData(true, 0, 0, VlanMode.None, (int)TagAction.Keep)]
    [InlineData(false, 0, 10, VlanMode.None, (int)TagAction.Push)]
    public void The_action_follows_the_output_ports_mode(bool tagged, int tagVid, int vid, VlanMode mode, int expected)
    {
        PortVlan output = mode switch
        {
            VlanMode.Access => PortVlan.Access(10),
            VlanMode.Trunk => PortVlan.Trunk(VlanSet.Of(10, 20)),
            _ => PortVlan.None,
        };
        Assert.Equal((TagAction)expected, VlanTagging.ActionFor(tagged, tagVid, vid, output));
    }

    [Fact]
    public void Push_then_pop_in_place_gives_back_the_frame_and_moves_offload_offsets()
    {
        using var pool = new PacketPool(8, 2);
        byte[] frame = FrameBuilder.Untagged(MacAddress.Broadcast, A, payloadLength: 200, seed: 5);
        Assert.True(pool.TryRentCopy(frame, out Packet packet));
        packet.Offload = new OffloadInfo { Flags = OffloadFlags.NeedsChecksum, ChecksumStart = 34, ChecksumOffset = 16, HeaderLength = 54 };

        Packet pushed = VlanTagging.InPlace(pool, packet, TagAction.Push, 300);
        FrameParser.Parse(pushed.Span, out FrameInfo info);
        Assert.Equal(300, info.VlanId);
        Assert.Equal(0, info.Priority);
        Assert.Equal(38, pushed.Offload.ChecksumStart);
        Assert.Equal(58, pushed.Offload.HeaderLength);

        Packet popped = VlanTagging.InPlace(pool, pushed, TagAction.Pop, 300);
        Assert.Equal(frame, popped.Span.ToArray());
        Assert.Equal(34, popped.Offload.ChecksumStart);
        popped.Release();
        Assert.Equal(8, pool.SmallAvailable);
    }

    [Fact]
    public void Rewrite_keeps_pcp_dei_and_tpid()
    {
        using var pool = new PacketPool(8, 0);
        byte[] frame = FrameBuilder.Build(MacAddress.Broadcast, A, [new VlanTag(FrameParser.TpidDot1ad, 5, 0, Dei: true)], FrameBuilder.EtherTypeIpv4);
        Assert.True(pool.TryRentCopy(frame, out Packet packet));
        Packet copy = VlanTagging.Copy(pool, packet, TagAction.Rewrite, 42);
        FrameParser.Parse(copy.Span, out FrameInfo info);
        Assert.Equal(42, info.VlanId);
        Assert.Equal(5, info.Priority);
        Assert.Equal(FrameParser.TpidDot1ad, info.OuterTpid);
        Assert.Equal(0x10, copy.Span[14] & 0x10);                              // DEI kept
        Assert.Equal(frame, packet.Span.ToArray());                            // the original is untouched by a copy
        copy.Release();
        packet.Release();
    }

    [Fact]
    public void A_push_that_does_not_fit_moves_the_frame_to_a_large_buffer_or_reports_no_buffer()
    {
        using var pool = new PacketPool(8, 1);
        byte[] full = FrameBuilder.Untagged(MacAddress.Broadcast, A, payloadLength: PacketPool.SmallBufferSize - 14);
        Assert.True(pool.TryRentCopy(full, out Packet packet));
        Packet moved = VlanTagging.InPlace(pool, packet, TagAction.Push, 7);
        Assert.False(moved.IsNull);
        Assert.Equal(full.Length + 4, moved.Length);
        Assert.Equal(8, pool.SmallAvailable);                                  // the small buffer went back

        Assert.True(pool.TryRentCopy(full, out Packet second));
        Packet none = VlanTagging.InPlace(pool, second, TagAction.Push, 7);    // the one large buffer is taken
        Assert.True(none.IsNull);
        Assert.Equal(8, pool.SmallAvailable);
        moved.Release();
    }
}
