using FastBridge.Ports.Netdev;

namespace FastBridge.Tests.Ports;

/// <summary>The netdev receive ring's shape: TPACKET_V2 slots that hold the interface's longest frame, never straddle a
/// block, and are many enough for a burst; TPACKET_V3 blocks as the options say.</summary>
public sealed class RingGeometryTests
{
    private static readonly NetdevPortOptions s_frames = new() { LowLatency = true };

    [Theory]
    [InlineData(1500, 2048)]
    [InlineData(1898, 2048)]
    [InlineData(1899, 4096)]
    [InlineData(9000, 16384)]
    [InlineData(65535, 131072)]
    public void A_slot_holds_the_longest_frame_with_its_header(int mtu, int slot)
    {
        RingGeometry g = RingGeometry.For(s_frames, mtu);
        Assert.True(g.PerFrame);
        Assert.Equal(slot, g.FrameSize);
        Assert.True(g.FrameSize >= mtu + 14 + 8 + 66, "the frame and its tp_mac offset fit in the slot");
        Assert.Equal(0, g.BlockSize % g.FrameSize);
        Assert.Equal(0, g.BlockSize % 4096);
        Assert.Equal(g.BlockSize / g.FrameSize * g.BlockCount, g.FrameCount);
    }

    [Fact]
    public void A_standard_mtu_ring_has_room_for_8192_frames_and_a_jumbo_one_stays_within_16_MiB()
    {
        Assert.True(RingGeometry.For(s_frames, 1500).FrameCount >= 8192);
        RingGeometry jumbo = RingGeometry.For(s_frames, 9000);
        Assert.True((long)jumbo.BlockSize * jumbo.BlockCount <= 16L << 20);
    }

    [Fact]
    public void The_frame_ring_is_the_default_and_the_block_ring_as_the_options_say()
    {
        Assert.True(RingGeometry.For(NetdevPortOptions.Default, 1500).PerFrame);
        var options = new NetdevPortOptions { BlockSize = 1 << 18, BlockCount = 16, LowLatency = false };
        RingGeometry g = RingGeometry.For(options, 1500);
        Assert.False(g.PerFrame);
        Assert.Equal((1 << 18, 16), (g.BlockSize, g.BlockCount));
    }
}
