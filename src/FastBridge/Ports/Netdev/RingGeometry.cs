namespace FastBridge.Ports.Netdev;

/// <summary>
/// The receive ring's shape for PACKET_RX_RING: TPACKET_V3 blocks as the options say, or TPACKET_V2 slots of one
/// frame each (<see cref="PerFrame"/>) in the same number of bytes.
/// </summary>
/// <remarks>
/// A TPACKET_V2 slot holds its 32-byte header, the kernel's alignment and the frame from tp_mac on: it is the smallest
/// power of two of at least 2 KiB that holds the longest frame the port passes on (MTU + 14 + 8) plus 128 bytes of
/// that overhead. A longer frame arrives cut (tp_snaplen below tp_len) and is counted as over-mtu, never truncated.
/// Slots never straddle a block (the kernel's rule), so blocks are a multiple of the slot and at least 64 KiB.
/// </remarks>
internal readonly record struct RingGeometry(int BlockSize, int BlockCount, int FrameSize, int FrameCount, bool PerFrame)
{
    /// <summary>Slot size the kernel's accounting uses for a TPACKET_V3 ring (it packs frames tighter within a block).</summary>
    private const int V3FrameSlot = 2048;

    private const int V2Overhead = 128;

    /// <summary>Fewest TPACKET_V2 slots in a ring (16 MiB of 2 KiB slots).</summary>
    private const int MinSlots = 8192;

    /// <summary>Jumbo MTUs get fewer slots rather than more memory: at most 16 MiB for the minimum.</summary>
    private const long MaxBytesForMinSlots = 16L << 20;

    public static RingGeometry For(NetdevPortOptions options, int mtu)
    {
        if (!options.LowLatency)
        {
            return new RingGeometry(options.BlockSize, options.BlockCount, V3FrameSlot, options.BlockSize / V3FrameSlot * options.BlockCount, false);
        }

        int longest = Math.Clamp(mtu, 68, 65_535) + 14 + (2 * RingFrame.TagSize) + V2Overhead;
        int frame = (int)Math.Max(2048u, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)longest));
        // At least MinSlots frames: a worker the scheduler keeps off its CPU for a while must find room for a burst of
        // small frames, which the V3 ring packs ~16 to 2 KiB (measured: 2,048 slots lost half of a 64 B load that the
        // V3 ring's 4 MiB carried, on a loaded machine).
        long total = Math.Max((long)options.BlockSize * options.BlockCount, Math.Min((long)MinSlots * frame, MaxBytesForMinSlots));
        int block = Math.Max(options.BlockSize, frame);
        int blocks = (int)Math.Max(2, total / block);
        return new RingGeometry(block, blocks, frame, block / frame * blocks, true);
    }
}
