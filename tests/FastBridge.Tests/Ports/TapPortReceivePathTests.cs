using FastBridge.Buffers;
using FastBridge.Interop;
using FastBridge.Ports;

namespace FastBridge.Tests.Ports;

/// <summary>
/// TapPort's receive path over a datagram socketpair standing in for a TAP (one frame per read, as a TAP gives), so
/// frame sizes the kernel's TAP cannot produce (over 64 KiB) and exact buffer boundaries are tested without privileges.
/// </summary>
public sealed unsafe class TapPortReceivePathTests : IDisposable
{
    private readonly int _peer;
    private readonly TapPort _port;
    private readonly PacketPool _pool;

    public TapPortReceivePathTests()
    {
        int* fds = stackalloc int[2];
        Assert.Equal(0, Libc.SocketPair(Libc.AF_UNIX, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0, fds));
        _peer = fds[1];
        _port = TapPort.WrapUnchecked(fds[0], "fake0", ownsFd: true);
        _pool = new PacketPool(64, 2);
    }

    public void Dispose()
    {
        _port.Dispose();
        Libc.Close(_peer);
        _pool.Dispose();
    }

    [Theory]
    [InlineData(14)]
    [InlineData(60)]
    [InlineData(PacketPool.SmallBufferSize)]
    public void A_frame_that_fits_stays_in_a_small_buffer(int length)
    {
        Inject(length);

        var burst = new Packet[4];
        Assert.Equal(1, _port.Receive(_pool, burst));
        Assert.Equal(PacketPool.SmallBufferSize, burst[0].Capacity);
        AssertPattern(burst[0], length);
        burst[0].Release();
    }

    [Theory]
    [InlineData(PacketPool.SmallBufferSize + 1)]
    [InlineData(9000)]
    [InlineData(PacketPool.MaxFrameLength)]
    public void A_longer_frame_moves_whole_into_a_large_buffer(int length)
    {
        Inject(length);

        var burst = new Packet[4];
        Assert.Equal(1, _port.Receive(_pool, burst));
        Assert.Equal(PacketPool.LargeBufferSize, burst[0].Capacity);
        AssertPattern(burst[0], length);
        Assert.Equal(_pool.SmallCount, _pool.SmallAvailable); // the head buffer went back
        burst[0].Release();
    }

    [Fact]
    public void A_frame_over_64_KiB_is_dropped_and_counted_and_the_burst_goes_on()
    {
        Inject(60);
        Inject(PacketPool.MaxFrameLength + 1);
        Inject(70_000);
        Inject(61);

        var burst = new Packet[8];
        int count = _port.Receive(_pool, burst);

        Assert.Equal(2, count);
        Assert.Equal(60, burst[0].Length);
        Assert.Equal(61, burst[1].Length);
        Assert.Equal(2, _port.RxOversize);
        burst[0].Release();
        burst[1].Release();
        Assert.Equal(_pool.SmallCount, _pool.SmallAvailable);
        Assert.Equal(_pool.LargeCount - 1, _pool.LargeAvailable); // the one kept for the next read
    }

    [Fact]
    public void Without_a_free_large_buffer_a_long_frame_is_dropped_and_counted()
    {
        Assert.True(_pool.TryRent(PacketPool.LargeBufferSize, out Packet a));
        Assert.True(_pool.TryRent(PacketPool.LargeBufferSize, out Packet b));
        Inject(9000);
        Inject(100);

        var burst = new Packet[8];
        int count = _port.Receive(_pool, burst);

        Assert.Equal(1, count);
        Assert.Equal(100, burst[0].Length);
        Assert.Equal(1, _port.RxNoLargeBuffer);
        burst[0].Release();
        a.Release();
        b.Release();

        // With a large buffer free again, the next jumbo frame is delivered.
        Inject(9000);
        Assert.Equal(1, _port.Receive(_pool, burst));
        AssertPattern(burst[0], 9000);
        burst[0].Release();
    }

    [Fact]
    public void Receive_stops_at_the_burst_size_and_when_the_pool_runs_dry()
    {
        for (int i = 0; i < 10; i++)
        {
            Inject(60 + i);
        }

        var burst = new Packet[4];
        Assert.Equal(4, _port.Receive(_pool, burst));
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(60 + i, burst[i].Length);
            burst[i].Release();
        }

        var held = new List<Packet>();
        while (_pool.TryRent(60, out Packet p))
        {
            held.Add(p);
        }

        Assert.Equal(0, _port.Receive(_pool, burst)); // nothing lost: the frames wait in the queue
        held[0].Release();
        Assert.Equal(1, _port.Receive(_pool, burst));
        Assert.Equal(64, burst[0].Length);
        burst[0].Release();
        foreach (Packet p in held.Skip(1))
        {
            p.Release();
        }

        var rest = new Packet[16];
        Assert.Equal(5, _port.Receive(_pool, rest));
        for (int i = 0; i < 5; i++)
        {
            rest[i].Release();
        }
    }

    [Fact]
    public void An_empty_queue_returns_zero_and_keeps_the_port_up()
    {
        Assert.Equal(0, _port.Receive(_pool, new Packet[4]));
        Assert.Equal(PortState.Up, _port.State);
        Assert.Equal(_pool.SmallCount, _pool.SmallAvailable);
    }

    [Fact]
    public void Dispose_returns_the_kept_large_buffer()
    {
        Inject(60);
        var burst = new Packet[4];
        Assert.Equal(1, _port.Receive(_pool, burst));
        burst[0].Release();
        Assert.Equal(_pool.LargeCount - 1, _pool.LargeAvailable);

        _port.Dispose();

        Assert.Equal(_pool.LargeCount, _pool.LargeAvailable);
        Assert.Equal(0, _port.Receive(_pool, burst));
    }

    private void Inject(int length)
    {
        byte[] frame = new byte[length];
        for (int i = 0; i < length; i++)
        {
            frame[i] = (byte)(i * 7);
        }

        fixed (byte* p = frame)
        {
            nint written = Syscall.Write(_peer, p, length, out int errno);
            Assert.True(written == length, $"write of {length} bytes returned {written}, errno {errno}");
        }
    }

    private static void AssertPattern(Packet packet, int length)
    {
        Assert.Equal(length, packet.Length);
        Span<byte> span = packet.Span;
        for (int i = 0; i < length; i++)
        {
            if (span[i] != (byte)(i * 7))
            {
                Assert.Fail($"byte {i} is {span[i]}, expected {(byte)(i * 7)}");
            }
        }
    }
}
