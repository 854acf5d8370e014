using FastBridge.Ports.Netdev;

namespace FastBridge.Fuzz;

/// <summary>
/// The <c>ring</c> target: the input is a TPACKET_V3 block as a netdev port would map it. Every frame header is read
/// with <see cref="RingFrame.TryRead"/> the way the port walks a block (first-packet offset, then each next offset, at
/// most the block's packet count); an accepted frame must lie inside the block and copy (its tag re-inserted) into a
/// buffer of exactly its length. The same bytes are then read as a TPACKET_V2 slot (<see cref="RingFrame.TryReadSlot"/>,
/// the low-latency ring) under the same rules; each accepted frame's virtio-net header (offloads) is read and checked
/// against the copy. Any exception is a crash.
/// </summary>
internal static class RingFrameTarget
{
    public static void Run(ReadOnlySpan<byte> block)
    {
        RunSlot(block);
        if (block.Length < RingFrame.BlockHeaderSize)
        {
            return;
        }

        int left = Math.Min(RingFrame.BlockPacketCount(block), 4096);
        int offset = RingFrame.BlockFirstPacket(block);
        byte[] buffer = new byte[block.Length + RingFrame.TagSize];
        while (left-- > 0 && RingFrame.TryRead(block, offset, out RingFrame frame))
        {
            if (frame.MacOffset < 0 || frame.MacOffset + frame.CapturedLength > block.Length || frame.Length > buffer.Length)
            {
                throw new InvalidOperationException($"frame at {frame.MacOffset}+{frame.CapturedLength} outside a {block.Length}-byte block");
            }

            int written = frame.CopyTo(block, buffer);
            if (written != frame.Length)
            {
                throw new InvalidOperationException($"copied {written} bytes of a {frame.Length}-byte frame");
            }

            // With offloads (PACKET_VNET_HDR) the port reads the virtio-net header before the frame and checks it
            // against the copy: neither may throw, whatever the header says.
            if (frame.TryReadOffload(block, out Offloads.OffloadInfo info))
            {
                _ = info.IsValidFor(buffer.AsSpan(0, written));
            }

            if (frame.NextOffset == 0)
            {
                break;
            }

            if (frame.NextOffset <= offset)
            {
                throw new InvalidOperationException($"next offset {frame.NextOffset} does not move past {offset}");
            }

            offset = frame.NextOffset;
        }
    }

    private static void RunSlot(ReadOnlySpan<byte> slot)
    {
        if (!RingFrame.TryReadSlot(slot, out RingFrame frame))
        {
            return;
        }

        if (frame.MacOffset < RingFrame.HeaderSizeV2 || frame.MacOffset + frame.CapturedLength > slot.Length)
        {
            throw new InvalidOperationException($"slot frame at {frame.MacOffset}+{frame.CapturedLength} outside a {slot.Length}-byte slot");
        }

        byte[] buffer = new byte[frame.Length];
        if (frame.CopyTo(slot, buffer) != frame.Length)
        {
            throw new InvalidOperationException($"copied fewer bytes than the {frame.Length}-byte slot frame");
        }
    }
}
