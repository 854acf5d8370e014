using System.Buffers.Binary;
using FastBridge.Ports.Netdev;

namespace FastBridge.Tests.Ports;

/// <summary>The TPACKET_V3 frame header reader: offsets checked against the block, the stripped VLAN tag put back.</summary>
public sealed class RingFrameTests
{
    private const int FrameAt = 48;

    private static byte[] Block(int snap, int length, uint status = 0, ushort tci = 0, ushort tpid = 0, int mac = 66, uint next = 0, int blockSize = 4096)
    {
        byte[] block = new byte[blockSize];
        Span<byte> h = block.AsSpan(FrameAt);
        BinaryPrimitives.WriteUInt32LittleEndian(h, next);
        BinaryPrimitives.WriteUInt32LittleEndian(h[12..], (uint)snap);
        BinaryPrimitives.WriteUInt32LittleEndian(h[16..], (uint)length);
        BinaryPrimitives.WriteUInt32LittleEndian(h[20..], status | RingFrame.StatusUser);
        BinaryPrimitives.WriteUInt16LittleEndian(h[24..], (ushort)mac);
        BinaryPrimitives.WriteUInt32LittleEndian(h[32..], tci);
        BinaryPrimitives.WriteUInt16LittleEndian(h[36..], tpid);
        for (int i = 0; i < snap && FrameAt + mac + i < blockSize; i++)
        {
            block[FrameAt + mac + i] = (byte)(i + 1);
        }

        return block;
    }

    [Fact]
    public void An_untagged_frame_is_copied_as_it_is()
    {
        byte[] block = Block(snap: 60, length: 60);
        Assert.True(RingFrame.TryRead(block, FrameAt, out RingFrame frame));
        Assert.False(frame.HasTag);
        Assert.Equal(60, frame.Length);
        byte[] copy = new byte[frame.Length];
        Assert.Equal(60, frame.CopyTo(block, copy));
        Assert.Equal(block.AsSpan(FrameAt + 66, 60).ToArray(), copy);
    }

    [Theory]
    [InlineData(0u, (ushort)0, (ushort)0x8100)]
    [InlineData(RingFrame.StatusVlanTpidValid, (ushort)0x88a8, (ushort)0x88a8)]
    [InlineData(RingFrame.StatusVlanTpidValid, (ushort)0, (ushort)0x8100)]
    public void A_stripped_tag_goes_back_after_the_source_mac(uint tpidStatus, ushort tpid, ushort expectedTpid)
    {
        byte[] block = Block(snap: 60, length: 60, status: RingFrame.StatusVlanValid | tpidStatus, tci: 0x6007, tpid: tpid);
        Assert.True(RingFrame.TryRead(block, FrameAt, out RingFrame frame));
        Assert.Equal(64, frame.Length);
        Assert.Equal(64, frame.OriginalLength);
        byte[] copy = new byte[frame.Length];
        frame.CopyTo(block, copy);
        Assert.Equal(block.AsSpan(FrameAt + 66, 12).ToArray(), copy[..12]);
        Assert.Equal(expectedTpid, BinaryPrimitives.ReadUInt16BigEndian(copy.AsSpan(12)));
        Assert.Equal(0x6007, BinaryPrimitives.ReadUInt16BigEndian(copy.AsSpan(14)));
        Assert.Equal(block.AsSpan(FrameAt + 66 + 12, 48).ToArray(), copy[16..]);
    }

    [Fact]
    public void A_frame_the_ring_cut_short_says_so()
    {
        byte[] block = Block(snap: 100, length: 9000);
        Assert.True(RingFrame.TryRead(block, FrameAt, out RingFrame frame));
        Assert.True(frame.IsCut);
        Assert.Equal(9000, frame.OriginalLength);
    }

    [Theory]
    [InlineData(4000, 66, 0u)]     // snaplen past the block's end
    [InlineData(60, 5000, 0u)]     // mac offset past the block
    [InlineData(60, 10, 0u)]       // mac offset inside the header
    [InlineData(60, 66, 20u)]      // next header overlapping this one
    [InlineData(60, 66, 9999u)]    // next header past the block
    public void Offsets_outside_the_block_are_refused(int snap, int mac, uint next)
    {
        byte[] block = Block(snap: snap, length: snap, mac: mac, next: next);
        Assert.False(RingFrame.TryRead(block, FrameAt, out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(47)]
    [InlineData(4090)]
    [InlineData(-1)]
    [InlineData(49)]
    public void A_header_offset_outside_the_block_or_unaligned_is_refused(int offset)
    {
        byte[] block = Block(snap: 60, length: 60);
        Assert.False(RingFrame.TryRead(block, offset, out _));
    }

    [Fact]
    public void A_tagged_frame_shorter_than_two_macs_is_refused()
    {
        byte[] block = Block(snap: 8, length: 8, status: RingFrame.StatusVlanValid);
        Assert.False(RingFrame.TryRead(block, FrameAt, out _));
    }

    [Fact]
    public void The_next_frame_offset_is_relative_to_this_header()
    {
        byte[] block = Block(snap: 60, length: 60, next: 144);
        Assert.True(RingFrame.TryRead(block, FrameAt, out RingFrame frame));
        Assert.Equal(FrameAt + 144, frame.NextOffset);
    }
}
