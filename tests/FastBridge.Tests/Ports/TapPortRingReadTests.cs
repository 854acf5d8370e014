using FastBridge.Buffers;
using FastBridge.Diagnostics;
using FastBridge.Interop;
using FastBridge.Offloads;
using FastBridge.Ports;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Ports;

/// <summary>
/// TapPort's batched receive (reads armed in the thread's io_uring, <c>TapPort.BatchRead.cs</c>), over a SOCK_SEQPACKET
/// socketpair standing in for the TAP (one record is one frame, as one TAP read is): frames arrive in order with their
/// headers, long ones whole, every read buffer goes back to the pool when the port is unbound with reads armed,
/// a frame a read had taken but nobody received is counted, and a run of super-frames is read with readv, in order,
/// until the port has been idle a while and arms its ring again.
/// </summary>
public sealed unsafe class TapPortRingReadTests : IDisposable
{
    private const int HeaderSize = 12;
    private const int SockSeqPacket = 5;
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(5);
    private readonly int _peer;
    private readonly TapPort _port;
    private readonly PacketPool _pool = new(256, 4);
    private readonly EventFd _wake = new();
    private readonly bool _singleBefore = IoUringBatch.SingleBuffer;

    public TapPortRingReadTests()
    {
        int* fds = stackalloc int[2];
        // Records, as TAP reads are, with room for a run of them queued (a datagram pair queues only 10).
        Assert.Equal(0, Libc.SocketPair(Libc.AF_UNIX, SockSeqPacket | Libc.SOCK_CLOEXEC, 0, fds));
        _peer = fds[1];
        _port = TapPort.WrapUnchecked(fds[0], "fakeur0", ownsFd: true, vnetHeaderSize: HeaderSize);
    }

    public void Dispose()
    {
        _port.UnbindReceive();
        IoUringBatch.SingleBuffer = _singleBefore;
        IoUringBatch.ReleaseThread(); // the ring is the test thread's: never leave it to the next test on this thread
        _port.Dispose();
        Libc.Close(_peer);
        _wake.Dispose();
        _pool.Dispose();
    }

    [SkippableTheory]
    [InlineData(true)]  // header and frame read as one buffer (IORING_OP_READ)
    [InlineData(false)] // FASTBRIDGE_IO_URING_SINGLE=0: IORING_OP_READV of header, small buffer, spill
    public void Frames_read_through_the_ring_arrive_in_order_with_their_headers(bool singleBuffer)
    {
        IoUringBatch.SingleBuffer = singleBuffer;
        Bind();
        var sent = new List<byte[]>();
        for (int i = 0; i < 40; i++)
        {
            byte[] frame = FrameBuilder.Transport(v6: false, udp: true, 20 + (i * 11), 0).Frame;
            frame[^1] = (byte)i;
            sent.Add(frame);
            SendFrame(frame, needsChecksum: i == 7);
        }

        List<(byte[] Frame, OffloadInfo Offload)> got = ReceiveUntil(sent.Count);

        Assert.Equal(sent, got.Select(g => g.Frame));
        Assert.Equal(OffloadFlags.NeedsChecksum, got[7].Offload.Flags);
        Assert.Equal(34, got[7].Offload.ChecksumStart);
        Assert.All(got.Where((_, i) => i != 7), g => Assert.True(g.Offload.IsNone));
        Assert.True(_port.ReadsBatched); // the ring read them, not readv
        Assert.InRange(_port.ArmedReads, 1, TapPort.MaxArmedReads); // armed for the next frames, more than one after a run
    }

    [SkippableTheory]
    [InlineData(true)]  // header and frame read as one buffer (IORING_OP_READ)
    [InlineData(false)] // FASTBRIDGE_IO_URING_SINGLE=0: IORING_OP_READV of header, small buffer, spill
    public void Long_frames_land_whole_in_a_large_buffer_whichever_read_takes_them(bool singleBuffer)
    {
        IoUringBatch.SingleBuffer = singleBuffer;
        Bind();
        // Small frames first, so several reads are armed when the long ones come (some spill into the port's large
        // buffer, the others into their own spill area and are copied).
        var sent = new List<byte[]>();
        for (int i = 0; i < 16; i++)
        {
            sent.Add(Filler(60 + i, (byte)i));
            SendFrame(sent[^1]);
        }

        ReceiveUntil(16);
        Assert.True(_port.ArmedReads > 1, $"{_port.ArmedReads} reads armed after a run of frames");
        sent.Clear();
        for (int i = 0; i < 3; i++)
        {
            sent.Add(Filler(9000 + (i * 1000), (byte)(0x40 + i)));
            SendFrame(sent[^1]);
        }

        List<(byte[] Frame, OffloadInfo Offload)> got = ReceiveUntil(3, keepCapacity: true);

        Assert.Equal(sent, got.Select(g => g.Frame));
        Assert.Equal(0, _port.RxNoLargeBuffer);
        Assert.Equal(0, _port.RxOversize);
        Assert.Equal(_pool.LargeCount, _pool.LargeAvailable + 1); // only the one the port keeps rented ahead
    }

    [SkippableTheory]
    [InlineData(true)]  // header and frame read as one buffer (IORING_OP_READ)
    [InlineData(false)] // FASTBRIDGE_IO_URING_SINGLE=0: IORING_OP_READV of header, small buffer, spill
    public void Unbinding_with_reads_armed_returns_every_buffer_and_counts_frames_read_but_not_received(bool singleBuffer)
    {
        IoUringBatch.SingleBuffer = singleBuffer;
        Bind();
        for (int i = 0; i < 8; i++)
        {
            SendFrame(Filler(60, (byte)i));
        }

        ReceiveUntil(8); // depth grows with the run
        int armed = _port.ArmedReads;
        Assert.True(armed > 1, $"{armed} reads armed");
        SendFrame(Filler(60, 0x77)); // taken by an armed read the moment it arrives, never received
        Assert.True(EndToEnd.WaitFor(() => IoUringBatch.Current!.HasCompletions, s_timeout), "no read took the frame");

        _port.UnbindReceive();

        Assert.Equal(0, _port.ArmedReads);
        Assert.False(_port.ReadsBatched);
        Assert.Equal(1, _port.ReceiveDrops[(int)DropReason.PortDown]);
        Assert.Equal(0, IoUringBatch.Current!.ReadsInFlight);
        Assert.Equal(0, IoUringBatch.Current.Undelivered);
        Assert.Equal(_pool.SmallCount, _pool.SmallAvailable);

        // The port goes on with readv, from where the ring left off.
        SendFrame(Filler(61, 0x78));
        var burst = new Packet[4];
        Assert.True(EndToEnd.WaitFor(() => _port.Receive(_pool, burst) == 1, s_timeout));
        Assert.Equal(61, burst[0].Length);
        burst[0].Release();
    }

    [SkippableFact]
    public void A_run_of_super_frames_is_read_with_readv_in_order_and_the_ring_is_armed_again_once_it_stops()
    {
        Bind();
        SendFrame(Filler(60, 1));
        ReceiveUntil(1);
        Assert.True(_port.ArmedReads >= 1);

        // A stream: long frames with short ones (its other packets) between them. The first long frame comes through
        // the ring, which then arms nothing more; once no read is in flight the port reads the rest with readv.
        var sent = new List<byte[]>();
        for (int i = 0; i < 12; i++)
        {
            sent.Add(i % 3 == 2 ? Filler(70 + i, (byte)i) : Filler(9000 + (i * 100), (byte)(0x40 + i)));
            SendFrame(sent[^1]);
        }

        List<(byte[] Frame, OffloadInfo Offload)> got = ReceiveUntil(sent.Count, keepCapacity: true);

        Assert.Equal(sent, got.Select(g => g.Frame));
        Assert.Equal(0, _port.ArmedReads);
        Assert.True(_port.ReadsBatched); // still bound to the ring, reading with readv for now
        Assert.Equal(0, _port.RxNoLargeBuffer);

        // No more frames: after a run of empty calls the port arms a read in its ring again.
        var burst = new Packet[4];
        for (int calls = 0; calls < 10_000 && _port.ArmedReads == 0; calls++)
        {
            Assert.Equal(0, _port.Receive(_pool, burst));
            IoUringBatch.Current!.Flush();
        }

        Assert.Equal(1, _port.ArmedReads);
        SendFrame(Filler(61, 0x78));
        Assert.Equal(61, ReceiveUntil(1)[0].Frame.Length);
    }

    [Fact]
    public void Without_a_ring_the_port_reads_with_readv()
    {
        IoUringBatch.ReleaseThread();
        _port.BindReceive();
        Assert.False(_port.ReadsBatched);

        SendFrame(Filler(60, 1));
        SendFrame(Filler(70, 2));
        var burst = new Packet[4];
        int n = 0;
        Assert.True(EndToEnd.WaitFor(() => (n += _port.Receive(_pool, burst.AsSpan(n))) == 2, s_timeout));
        Assert.Equal([60, 70], burst[..2].Select(p => p.Length));
        burst[0].Release();
        burst[1].Release();
    }

    private void Bind()
    {
        Skip.IfNot(IoUringBatch.PrepareThread(), "io_uring is not available here");
        Skip.IfNot(IoUringBatch.Current!.RegisterWakeFd(_wake.Fd), "io_uring refuses a registered eventfd here");
        _port.BindReceive();
        Assert.True(_port.ReadsBatched);
    }

    /// <summary>Receives (and submits the re-armed reads, as a worker's pass does) until <paramref name="count"/> frames came.</summary>
    private List<(byte[] Frame, OffloadInfo Offload)> ReceiveUntil(int count, bool keepCapacity = false)
    {
        var got = new List<(byte[], OffloadInfo)>();
        var burst = new Packet[64];
        Assert.True(
            EndToEnd.WaitFor(
                () =>
                {
                    int n = _port.Receive(_pool, burst);
                    IoUringBatch.Current!.Flush();
                    for (int i = 0; i < n; i++)
                    {
                        if (keepCapacity)
                        {
                            Assert.True(burst[i].Length <= PacketPool.SmallBufferSize || burst[i].Capacity == PacketPool.LargeBufferSize);
                        }

                        got.Add((burst[i].Span.ToArray(), burst[i].Offload));
                        burst[i].Release();
                    }

                    return got.Count >= count;
                },
                s_timeout),
            $"{got.Count} of {count} frames received");
        return got;
    }

    private static byte[] Filler(int length, byte fill)
    {
        byte[] frame = new byte[length];
        Array.Fill(frame, fill);
        frame[^1] = (byte)length;
        return frame;
    }

    private void SendFrame(byte[] frame, bool needsChecksum = false)
    {
        byte[] datagram = new byte[HeaderSize + frame.Length];
        if (needsChecksum)
        {
            datagram[0] = (byte)OffloadFlags.NeedsChecksum;
            datagram[6] = 34; // csum_start, little-endian
            datagram[8] = 6;  // csum_offset
        }

        frame.CopyTo(datagram, HeaderSize);
        fixed (byte* p = datagram)
        {
            nint written = Syscall.Write(_peer, p, datagram.Length, out int errno);
            Assert.True(written == datagram.Length, $"send failed: {written}, errno {errno}");
        }
    }
}
