using System.Runtime.InteropServices;
using FastBridge.Buffers;
using FastBridge.Diagnostics;
using FastBridge.Interop;
using FastBridge.Offloads;
using FastBridge.Ports;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Ports;

/// <summary>
/// TapPort's batched transmit (a burst's writev calls in one io_uring_enter, <see cref="IoUringBatch"/>), over a
/// datagram socketpair standing in for the TAP: the frames arrive in order with their headers, and every frame gets the
/// outcome the plain writev path gives it, also when the kernel refuses some.
/// </summary>
public sealed unsafe partial class TapPortBatchTests : IDisposable
{
    private const int HeaderSize = 12;
    private readonly int _peer;
    private readonly int _portFd;
    private readonly TapPort _port;
    private readonly PacketPool _pool = new(64, 2);
    private readonly bool _singleBefore = IoUringBatch.SingleBuffer;

    public TapPortBatchTests()
    {
        int* fds = stackalloc int[2];
        Assert.Equal(0, Libc.SocketPair(Libc.AF_UNIX, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0, fds));
        _peer = fds[1];
        _portFd = fds[0];
        Assert.Equal(0, Syscall.SetNonBlocking(_peer, out _)); // Drain reads until the queue is empty
        _port = TapPort.WrapUnchecked(fds[0], "fakeb0", ownsFd: true, vnetHeaderSize: HeaderSize);
    }

    public void Dispose()
    {
        IoUringBatch.SingleBuffer = _singleBefore;
        IoUringBatch.ReleaseThread(); // the ring is the test thread's: never leave it to the next test on this thread
        _port.Dispose();
        Libc.Close(_peer);
        _pool.Dispose();
    }

    [SkippableTheory]
    [InlineData(true)]  // header in the buffer's headroom, one IORING_OP_WRITE per frame
    [InlineData(false)] // FASTBRIDGE_IO_URING_SINGLE=0: IORING_OP_WRITEV of header scratch and frame
    public void A_burst_through_the_ring_arrives_in_order_with_each_header(bool singleBuffer)
    {
        IoUringBatch.SingleBuffer = singleBuffer;
        Skip.IfNot(IoUringBatch.PrepareThread(), "io_uring is not available here");
        byte[][] sent = SendBurst(8, withOffloadOnFirst: true, out DropReason[] outcome);

        Assert.All(outcome, o => Assert.Equal(DropReason.None, o));
        for (int i = 0; i < sent.Length; i++)
        {
            byte[] got = ReadPeer();
            Assert.Equal(sent[i], got[HeaderSize..]);
            byte[] header = new byte[HeaderSize];
            if (i == 0)
            {
                header[0] = (byte)OffloadFlags.NeedsChecksum;
                header[6] = 34; // csum_start, little-endian
                header[8] = 6;  // csum_offset
            }

            Assert.Equal(header, got[..HeaderSize]);
        }

        Assert.NotNull(IoUringBatch.Current);
        Assert.False(_port.BatchRefused); // the ring wrote them, not the fallback
    }

    [SkippableFact]
    public void Refused_writes_get_the_outcome_the_plain_path_gives_them()
    {
        // A small send buffer on the port's socket: once the peer holds that much unread, writes fail with EAGAIN.
        int small = 4096;
        Assert.Equal(0, SetSockOpt(_portFd, SolSocket, SoSndBuf, &small, sizeof(int)));
        const int Burst = 40;

        SendBurst(Burst, withOffloadOnFirst: false, out DropReason[] plain);
        int arrivedPlain = Drain();
        Skip.IfNot(IoUringBatch.PrepareThread(), "io_uring is not available here");
        SendBurst(Burst, withOffloadOnFirst: false, out DropReason[] batched);
        int arrivedBatched = Drain();

        Assert.False(_port.BatchRefused); // the ring wrote them, not the fallback
        Assert.NotNull(IoUringBatch.Current);
        Assert.Equal(plain, batched);
        Assert.Equal(arrivedPlain, arrivedBatched);
        Assert.Equal(arrivedBatched, batched.Count(o => o == DropReason.None));
        Assert.InRange(arrivedBatched, 1, Burst - 1); // some written, some refused: both kinds of outcome were mapped
        Assert.All(batched[arrivedBatched..], o => Assert.Equal(DropReason.TxError, o));
    }

    [SkippableFact]
    public void A_frame_other_ports_hold_too_goes_out_with_its_header_and_its_headroom_untouched()
    {
        IoUringBatch.SingleBuffer = true;
        Skip.IfNot(IoUringBatch.PrepareThread(), "io_uring is not available here");
        var frames = new Packet[3];
        var sent = new byte[3][];
        for (int i = 0; i < frames.Length; i++)
        {
            sent[i] = FrameBuilder.Transport(v6: false, udp: true, 30 + i, 0).Frame;
            Assert.True(_pool.TryRentCopy(sent[i], out frames[i]));
            frames[i].Offload = new OffloadInfo { Flags = OffloadFlags.NeedsChecksum, ChecksumStart = 34, ChecksumOffset = 6 };
            new Span<byte>(frames[i].Pointer - PacketPool.Headroom, PacketPool.Headroom).Fill(0xA5);
        }

        frames[1].AddRef(); // another port holds it too (a flood): its headroom is not this port's to write
        var outcome = new DropReason[frames.Length];
        _port.Transmit(frames, outcome);

        Assert.All(outcome, o => Assert.Equal(DropReason.None, o));
        for (int i = 0; i < frames.Length; i++)
        {
            byte[] got = ReadPeer();
            Assert.Equal(sent[i], got[HeaderSize..]);
            Assert.Equal((byte)OffloadFlags.NeedsChecksum, got[0]);
            Assert.Equal(34, got[6]);
            Assert.Equal(6, got[8]);
        }

        Assert.All(new Span<byte>(frames[1].Pointer - PacketPool.Headroom, PacketPool.Headroom).ToArray(), b => Assert.Equal(0xA5, b));
        Assert.NotEqual(0xA5, *(frames[0].Pointer - HeaderSize)); // the sole-held ones carried their header in front
        frames[1].Release();
        foreach (Packet p in frames)
        {
            p.Release();
        }
    }

    private const int SolSocket = 1;
    private const int SoSndBuf = 7;

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    private static partial int SetSockOpt(int socket, int level, int name, int* value, int length);

    [Fact]
    public void Without_a_ring_the_burst_goes_out_frame_by_frame_the_same()
    {
        IoUringBatch.ReleaseThread();
        byte[][] sent = SendBurst(5, withOffloadOnFirst: false, out DropReason[] outcome);

        Assert.All(outcome, o => Assert.Equal(DropReason.None, o));
        foreach (byte[] frame in sent)
        {
            Assert.Equal(frame, ReadPeer()[HeaderSize..]);
        }
    }

    /// <summary>Transmits <paramref name="count"/> frames of different lengths in one call; returns what each frame held.</summary>
    private byte[][] SendBurst(int count, bool withOffloadOnFirst, out DropReason[] outcome)
    {
        var frames = new Packet[count];
        var sent = new byte[count][];
        for (int i = 0; i < count; i++)
        {
            FrameBuilder.TransportFrame s = FrameBuilder.Transport(v6: false, udp: true, 20 + (i * 37), 0);
            sent[i] = s.Frame;
            Assert.True(_pool.TryRentCopy(s.Frame, out frames[i]));
            if (i == 0 && withOffloadOnFirst)
            {
                frames[i].Offload = new OffloadInfo { Flags = OffloadFlags.NeedsChecksum, ChecksumStart = 34, ChecksumOffset = 6 };
            }
        }

        outcome = new DropReason[count];
        _port.Transmit(frames, outcome);
        foreach (Packet p in frames)
        {
            p.Release();
        }

        return sent;
    }

    private int Drain()
    {
        int n = 0;
        var buffer = new byte[2048];
        fixed (byte* p = buffer)
        {
            while (Syscall.Read(_peer, p, buffer.Length, out _) > 0)
            {
                n++;
            }
        }

        return n;
    }

    private byte[] ReadPeer()
    {
        var buffer = new byte[70000];
        fixed (byte* p = buffer)
        {
            nint read = Syscall.Read(_peer, p, buffer.Length, out int errno);
            Assert.True(read > 0, $"read returned {read}, errno {errno}");
            return buffer[..(int)read];
        }
    }
}
