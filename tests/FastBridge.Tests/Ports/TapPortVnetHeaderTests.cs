using System.Buffers.Binary;
using FastBridge.Buffers;
using FastBridge.Diagnostics;
using FastBridge.Interop;
using FastBridge.Offloads;
using FastBridge.Ports;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Ports;

/// <summary>
/// TapPort with a 12-byte virtio-net header, over a datagram socketpair standing in for the TAP: the header read in
/// front of each frame becomes the frame's offload metadata (or drops it when it makes no sense), and transmit writes
/// the metadata back in front of the frame.
/// </summary>
public sealed unsafe class TapPortVnetHeaderTests : IDisposable
{
    private const int HeaderSize = 12;
    private readonly int _peer;
    private readonly TapPort _port;
    private readonly PacketPool _pool;

    public TapPortVnetHeaderTests()
    {
        int* fds = stackalloc int[2];
        Assert.Equal(0, Libc.SocketPair(Libc.AF_UNIX, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0, fds));
        _peer = fds[1];
        _port = TapPort.WrapUnchecked(fds[0], "fakev0", ownsFd: true, vnetHeaderSize: HeaderSize);
        _pool = new PacketPool(64, 2);
    }

    public void Dispose()
    {
        _port.Dispose();
        Libc.Close(_peer);
        _pool.Dispose();
    }

    [Fact]
    public void A_port_with_a_header_accepts_offloads()
    {
        Assert.True(_port.AcceptsOffloads);
        Assert.Equal(HeaderSize, _port.VnetHeaderSize);
    }

    [Theory]
    [InlineData(false, 60000)]
    [InlineData(true, 30000)]
    [InlineData(false, 1000)]
    public void A_super_frame_arrives_whole_with_its_metadata(bool v6, int payload)
    {
        FrameBuilder.TransportFrame s = FrameBuilder.Transport(v6, udp: false, payload, 1448);
        Inject(Header(s.Info), s.Frame);

        var burst = new Packet[4];
        Assert.Equal(1, _port.Receive(_pool, burst));
        Assert.Equal(s.Frame, burst[0].Span.ToArray());
        Assert.Equal(s.Info, burst[0].Offload);
        Assert.Equal(1, _port.RxSuperFrames);
        burst[0].Release();
    }

    [Fact]
    public void An_all_zero_header_is_an_ordinary_frame()
    {
        FrameBuilder.TransportFrame s = FrameBuilder.Transport(v6: false, udp: true, 100, 0);
        Inject(new byte[HeaderSize], s.Frame);

        var burst = new Packet[4];
        Assert.Equal(1, _port.Receive(_pool, burst));
        Assert.True(burst[0].Offload.IsNone);
        Assert.Equal(s.Frame, burst[0].Span.ToArray());
        burst[0].Release();
    }

    [Fact]
    public void A_header_that_does_not_fit_its_frame_drops_it_and_counts_it()
    {
        FrameBuilder.TransportFrame s = FrameBuilder.Transport(v6: false, udp: false, 3000, 1448);
        OffloadInfo bad = s.Info;
        bad.GsoType = GsoType.TcpV6; // an IPv4 frame
        Inject(Header(bad), s.Frame);
        FrameBuilder.TransportFrame good = FrameBuilder.Transport(v6: false, udp: false, 100, 0);
        Inject(Header(good.Info), good.Frame);

        var burst = new Packet[4];
        Assert.Equal(1, _port.Receive(_pool, burst));
        Assert.Equal(good.Frame, burst[0].Span.ToArray());
        Assert.Equal(1, _port.RxBadOffload);
        Assert.Equal(1, _port.ReceiveDrops[(int)DropReason.BadOffload]);
        Assert.Equal(_pool.SmallCount - 1, _pool.SmallAvailable);
        burst[0].Release();
    }

    [Fact]
    public void A_read_shorter_than_the_header_is_a_runt()
    {
        Inject(new byte[5], []);
        var burst = new Packet[4];
        Assert.Equal(1, _port.Receive(_pool, burst));
        Assert.Equal(0, burst[0].Length);
        burst[0].Release();
    }

    [Fact]
    public void With_every_large_buffer_in_use_the_port_leaves_frames_in_the_queue()
    {
        using var pool = new PacketPool(64, 1);
        FrameBuilder.TransportFrame s = FrameBuilder.Transport(v6: false, udp: false, 30000, 1448);
        FrameBuilder.TransportFrame small = FrameBuilder.Transport(v6: false, udp: true, 100, 0);
        Inject(Header(s.Info), s.Frame);
        Inject(new byte[HeaderSize], small.Frame);
        var burst = new Packet[4];

        Assert.Equal(1, _port.Receive(pool, burst)); // the super-frame took the only large buffer
        Packet super = burst[0];
        Assert.Equal(0, _port.Receive(pool, burst)); // none left: the next frame waits
        super.Release();
        Assert.Equal(1, _port.Receive(pool, burst));
        Assert.Equal(small.Frame, burst[0].Span.ToArray());
        burst[0].Release();
        Assert.Equal(0, _port.ReceiveDrops.Sum());
    }

    [Fact]
    public void A_port_that_waits_too_long_for_a_large_buffer_reads_its_small_frames_anyway()
    {
        using var pool = new PacketPool(64, 1);
        Assert.True(pool.TryRent(PacketPool.LargeBufferSize, out Packet taken)); // someone else holds the only one
        FrameBuilder.TransportFrame small = FrameBuilder.Transport(v6: false, udp: true, 100, 0);
        Inject(new byte[HeaderSize], small.Frame);
        var burst = new Packet[4];

        int calls = 0;
        while (_port.Receive(pool, burst) == 0)
        {
            Assert.True(++calls <= 100, "the port never read");
        }

        Assert.True(calls >= 32, $"read after only {calls} waits");
        Assert.Equal(small.Frame, burst[0].Span.ToArray());
        burst[0].Release();
        taken.Release();
    }

    [Fact]
    public void Transmit_writes_the_metadata_in_front_of_the_frame()
    {
        FrameBuilder.TransportFrame s = FrameBuilder.Transport(v6: true, udp: false, 20000, 1428);
        FrameBuilder.TransportFrame plain = FrameBuilder.Transport(v6: false, udp: true, 100, 0);
        Assert.True(_pool.TryRentCopy(s.Frame, out Packet super));
        super.Offload = s.Info;
        Assert.True(_pool.TryRentCopy(plain.Frame, out Packet ordinary));
        Span<DropReason> outcome = stackalloc DropReason[2];

        _port.Transmit([super, ordinary], outcome);

        Assert.Equal([DropReason.None, DropReason.None], outcome.ToArray());
        byte[] first = ReadPeer();
        Assert.Equal(Header(s.Info), first[..HeaderSize]);
        Assert.Equal(s.Frame, first[HeaderSize..]);
        byte[] second = ReadPeer();
        Assert.Equal(new byte[HeaderSize], second[..HeaderSize]);
        Assert.Equal(plain.Frame, second[HeaderSize..]);
        super.Release();
        ordinary.Release();
    }

    private static byte[] Header(OffloadInfo info)
    {
        var h = new byte[HeaderSize];
        h[0] = (byte)info.Flags;
        h[1] = (byte)info.GsoType;
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(2), info.HeaderLength);
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(4), info.GsoSize);
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(6), info.ChecksumStart);
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(8), info.ChecksumOffset);
        return h;
    }

    private void Inject(byte[] header, byte[] frame)
    {
        byte[] all = [.. header, .. frame];
        fixed (byte* p = all)
        {
            nint written = Syscall.Write(_peer, p, all.Length, out int errno);
            Assert.True(written == all.Length, $"write of {all.Length} bytes returned {written}, errno {errno}");
        }
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
