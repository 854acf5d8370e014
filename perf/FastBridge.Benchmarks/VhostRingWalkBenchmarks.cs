using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using FastBridge.Buffers;
using FastBridge.Ports.VhostUser;

namespace FastBridge.Benchmarks;

/// <summary>
/// The vhost-user ring walk without the rings' index bookkeeping: a guest TX descriptor chain (header + frame in one
/// buffer, as Linux and DPDK post them) walked and copied into a pool buffer, then that buffer copied into a guest RX
/// chain, per frame. 0 B allocated is the target (the port's Receive/Transmit add only index reads and writes).
/// <see cref="IndirectChainToPoolAndBack"/>: the TX chain through an indirect table of two descriptors (header, then
/// frame), as Linux's virtio-net posts a scatter-gather frame. The pool is the bridge's default (16,384 small buffers)
/// with the benchmark thread's own buffer cache attached, as a dataplane worker's (<c>PacketPool.AttachThreadCache</c>):
/// what the port's Receive and Transmit rent from and release to.
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory(Categories.VhostUser)]
public class VhostRingWalkBenchmarks
{
    private const ulong Gpa = 0x4000_0000;
    private const int MemorySize = 1 << 20;
    private const uint TableSize = 256;

    private nint _memory;
    private GuestMemory _guest = null!;
    private PacketPool _pool = null!;
    private BufferSegment[] _segments = null!;

    [Params(64, 1518)]
    public int FrameLength { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _memory = Marshal.AllocHGlobal(MemorySize);
        _guest = GuestMemory.Unowned(new GuestRegion(Gpa, MemorySize, 0, _memory));
        _pool = new PacketPool();
        _pool.AttachThreadCache(); // BenchmarkDotNet runs setup, the benchmark and cleanup on one thread
        _segments = new BufferSegment[DescriptorWalker.MaxSegments];
        // descriptor 0: the TX buffer (readable) at 64 KiB; descriptor 1: the RX buffer (writable) at 128 KiB
        WriteDescriptor(0, Gpa + 65536, (uint)(12 + FrameLength), 0);
        WriteDescriptor(1, Gpa + 131072, 2048, DescriptorWalker.FlagWrite);
        // descriptor 2: an indirect table at 32 KiB of { header at 64 KiB (12 bytes), NEXT -> frame right after it }
        WriteDescriptor(2, Gpa + 32768, 32, DescriptorWalker.FlagIndirect);
        WriteDescriptor(32768 / 16, Gpa + 65536, 12, DescriptorWalker.FlagNext, next: 1);
        WriteDescriptor((32768 / 16) + 1, Gpa + 65536 + 12, (uint)FrameLength, 0);
        for (int i = 0; i < 12 + FrameLength; i++)
        {
            Marshal.WriteByte(_memory, 65536 + i, (byte)(i < 12 ? 0 : i));
        }

        // Both layouts must take the whole path (a refused chain would measure the drop instead).
        if (ChainToPoolAndBack() != 12 + FrameLength || IndirectChainToPoolAndBack() != 12 + FrameLength
            || ChainToPoolAndBackAsPorts() != 12 + FrameLength)
        {
            throw new InvalidOperationException("the benchmark's chains were refused");
        }
    }

    private void WriteDescriptor(int index, ulong address, uint length, ushort flags, ushort next = 0)
    {
        Marshal.WriteInt64(_memory, index * 16, (long)address);
        Marshal.WriteInt32(_memory, (index * 16) + 8, (int)length);
        Marshal.WriteInt16(_memory, (index * 16) + 12, (short)flags);
        Marshal.WriteInt16(_memory, (index * 16) + 14, (short)next);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _pool.DetachThreadCache();
        _pool.Dispose();
        Marshal.FreeHGlobal(_memory);
    }

    [Benchmark]
    public int ChainToPoolAndBack()
    {
        RingCopy.ChainToPacket(_guest, _memory, TableSize, 0, true, 12, _pool, _segments, out Packet packet);
        int written = RingCopy.PacketToChain(_guest, _memory, TableSize, 1, true, packet, _segments);
        packet.Release();
        return written;
    }

    /// <summary>
    /// Both directions as the port's Receive and Transmit take a chain of one descriptor: <see cref="RingCopy.ChainToPacket"/>
    /// (its fast path) in, and <see cref="RingCopy.WholeBuffer"/> + <see cref="RingCopy.PacketToBuffer"/> out (the
    /// general walk and scatter of <see cref="RingCopy.PacketToChain"/> only for other chains).
    /// </summary>
    [Benchmark]
    public int ChainToPoolAndBackAsPorts()
    {
        RingCopy.ChainToPacket(_guest, _memory, TableSize, 0, true, 12, _pool, _segments, out Packet packet);
        uint need = (uint)(12 + packet.Length);
        nint whole = RingCopy.WholeBuffer(_guest, _memory, TableSize, 1, deviceWrites: true, out uint room);
        int written = -1;
        if (whole != 0 && room >= need)
        {
            RingCopy.PacketToBuffer(whole, packet, 12);
            written = (int)need;
        }

        packet.Release();
        return written;
    }

    [Benchmark]
    public int IndirectChainToPoolAndBack()
    {
        RingCopy.ChainToPacket(_guest, _memory, TableSize, 2, true, 12, _pool, _segments, out Packet packet);
        int written = RingCopy.PacketToChain(_guest, _memory, TableSize, 1, true, packet, _segments);
        packet.Release();
        return written;
    }
}
