using System.Buffers.Binary;
using FastBridge.Ports.Netdev;

namespace FastBridge.Tests.Ports;

/// <summary>The TPACKET_V2 slot header reader (the low-latency ring): offsets checked against the slot, the stripped
/// VLAN tag put back, a cut frame reported.</summary>
public sealed class RingFrameSlotTests
{
    private static byte[] Slot(int snap, int length, uint status = 0, ushort tci = 0, ushort tpid = 0, int mac = 82, int slotSize = 2048)
    {
        byte[] slot = new byte[slotSize];
        Span<byte> h = slot;
        BinaryPrimitives.WriteUInt32LittleEndian(h, status | RingFrame.StatusUser);
        BinaryPrimitives.WriteUInt32LittleEndian(h[4..], (uint)length);
        BinaryPrimitives.WriteUInt32LittleEndian(h[8..], (uint)snap);
        BinaryPrimitives.WriteUInt16LittleEndian(h[12..], (ushort)mac);
        BinaryPrimitives.WriteUInt16LittleEndian(h[24..], tci);
        BinaryPrimitives.WriteUInt16LittleEndian(h[26..], tpid);
        for (int i = 0; i < snap && mac + i < slotSize; i++)
        {
            slot[mac + i] = (byte)(i + 1);
        }

        return slot;
    }

    [Fact]
    public void An_untagged_frame_is_copied_as_it_is()
    {
        byte[] slot = Slot(snap: 60, length: 60);
        Assert.True(RingFrame.TryReadSlot(slot, out RingFrame frame));
        Assert.False(frame.HasTag);
        Assert.False(frame.IsCut);
        byte[] copy = new byte[frame.Length];
        Assert.Equal(60, frame.CopyTo(slot, copy));
        Assert.Equal(slot.AsSpan(82, 60).ToArray(), copy);
    }

    [Fact]
    public void A_stripped_tag_goes_back_after_the_source_mac()
    {
        byte[] slot = Slot(snap: 60, length: 60, status: RingFrame.StatusVlanValid | RingFrame.StatusVlanTpidValid, tci: 0x2064, tpid: 0x88a8);
        Assert.True(RingFrame.TryReadSlot(slot, out RingFrame frame));
        Assert.Equal(64, frame.Length);
        byte[] copy = new byte[frame.Length];
        frame.CopyTo(slot, copy);
        Assert.Equal(slot.AsSpan(82, 12).ToArray(), copy[..12]);
        Assert.Equal(0x88a8, BinaryPrimitives.ReadUInt16BigEndian(copy.AsSpan(12)));
        Assert.Equal(0x2064, BinaryPrimitives.ReadUInt16BigEndian(copy.AsSpan(14)));
        Assert.Equal(slot.AsSpan(82 + 12, 48).ToArray(), copy[16..]);
    }

    [Fact]
    public void A_frame_longer_than_its_slot_arrives_cut_and_says_so()
    {
        byte[] slot = Slot(snap: 2048 - 82, length: 9014);
        Assert.True(RingFrame.TryReadSlot(slot, out RingFrame frame));
        Assert.True(frame.IsCut);
        Assert.Equal(9014, frame.OriginalLength);
    }

    [Theory]
    [InlineData(2000, 82)]   // snaplen past the slot's end
    [InlineData(60, 4000)]   // mac offset past the slot
    [InlineData(60, 16)]     // mac offset inside the header
    public void Offsets_outside_the_slot_are_refused(int snap, int mac)
    {
        Assert.False(RingFrame.TryReadSlot(Slot(snap, snap, mac: mac), out _));
    }

    [Fact]
    public void A_tagged_frame_without_its_macs_is_refused()
    {
        Assert.False(RingFrame.TryReadSlot(Slot(snap: 10, length: 10, status: RingFrame.StatusVlanValid), out _));
    }

    [Fact]
    public void A_slot_shorter_than_its_header_is_refused()
    {
        Assert.False(RingFrame.TryReadSlot(new byte[RingFrame.HeaderSizeV2 - 1], out _));
    }
}
