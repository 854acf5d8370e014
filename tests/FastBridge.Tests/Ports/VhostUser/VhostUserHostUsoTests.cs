using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using FastBridge.Buffers;
using FastBridge.Diagnostics;
using FastBridge.Offloads;
using FastBridge.Ports;
using FastBridge.Ports.VhostUser;
using FastBridge.Tests.Infrastructure;

using FastBridge.Tests.Offloads;

namespace FastBridge.Tests.Ports.VhostUser;

/// <summary>
/// HOST_USO, guest to switch: a guest's UDP super-frame (gso_type UDP_L4) reaches a port that takes offloads (as a TAP
/// with TUN_F_USO4/6 does) whole with its metadata, and a port without offloads as complete datagrams; a header that
/// does not fit its frame is dropped as <c>bad-offload</c> and the guest's next frame still passes.
/// </summary>
public sealed class VhostUserHostUsoTests : IDisposable
{
    private const ulong UsoFeatures = TestFrontend.DefaultFeatures | (1UL << VhostProtocol.NetCsum)
        | (1UL << VhostProtocol.NetHostTso4) | (1UL << VhostProtocol.NetHostTso6) | (1UL << VhostProtocol.NetHostUso);

    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);
    private readonly string _folder = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"fb-vhu-{Guid.NewGuid():N}"[..16])).FullName;
    private readonly Bridge _bridge = new(new BridgeOptions { Workers = 1, StormLimit = 0, PoolFrames = 1024 });
    private readonly VhostUserPort _guest;
    private readonly OffloadSinkPort _tapLike = new("tap");
    private readonly MemoryPort _plain = new("mem");

    public VhostUserHostUsoTests()
    {
        _guest = new VhostUserPort("vm0", new VhostUserPortOptions { SocketPath = Path.Combine(_folder, "vm0.sock") });
        _bridge.AddPort(_guest);
        _bridge.AddPort(_tapLike);
        _bridge.AddPort(_plain);
        _bridge.Start();
    }

    public void Dispose()
    {
        _bridge.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public void Host_uso_is_offered_and_can_be_negotiated()
    {
        using TestFrontend guest = Connect();
        Assert.True(VhostProtocol.Has(guest.RequestU64(VhostRequest.GetFeatures), VhostProtocol.NetHostUso));
        Assert.Equal($"0x{UsoFeatures:x}", _guest.NegotiatedFeatures);
    }

    [Theory]
    [InlineData(false, 3000, 1000)]
    [InlineData(true, 3000, 1000)]
    [InlineData(false, 2500, 1000)] // a short last datagram
    [InlineData(true, 1280, 10)]    // 128 datagrams: the most a UDP super-frame may make
    public void A_guest_udp_super_frame_reaches_an_offload_port_whole_and_a_plain_port_as_datagrams(bool v6, int payloadLength, int gsoSize)
    {
        using TestFrontend guest = Connect();
        FrameBuilder.TransportFrame s = FrameBuilder.Transport(v6, udp: true, payloadLength, gsoSize);
        guest.SendFrame(s.Frame, Header(s.Info));

        int count = (payloadLength + gsoSize - 1) / gsoSize;
        Assert.True(EndToEnd.WaitFor(() => _plain.Pending == count && _tapLike.Received.Count == 1, s_timeout),
            $"{_plain.Pending} of {count} datagrams, {_tapLike.Received.Count} super-frames");

        (byte[] whole, OffloadInfo info) = _tapLike.Received.Single();
        Assert.Equal(s.Frame, whole); // the UDP checksum still the offload port's to fill
        Assert.Equal(s.Info, info);

        var joined = new List<byte>();
        long wire = 0;
        var buffer = new byte[PacketPool.LargeBufferSize];
        for (int k = 0; k < count; k++)
        {
            Assert.True(_plain.TryTake(buffer, out int length));
            byte[] datagram = buffer[..length];
            Assert.Equal(s.HeaderLength + Math.Min(gsoSize, payloadLength - (k * gsoSize)), length);
            Assert.True(FrameBuilder.ChecksumsVerify(datagram, s.L3, s.L4, v6, udp: true), $"datagram {k}: checksums");
            Assert.Equal(length - s.L4, BinaryPrimitives.ReadUInt16BigEndian(datagram.AsSpan(s.L4 + 4))); // UDP length
            if (!v6)
            {
                Assert.Equal((ushort)(0xFFFE + k), BinaryPrimitives.ReadUInt16BigEndian(datagram.AsSpan(s.L3 + 4))); // IP id + k
            }

            joined.AddRange(datagram[s.HeaderLength..]);
            wire += length;
        }

        Assert.Equal(s.Payload, joined.ToArray());
        Assert.True(EndToEnd.WaitFor(() => Counters("mem").TxFrames == 1 && Counters("tap").TxFrames == 1, s_timeout));
        PortCounters vm0 = Counters("vm0");
        Assert.Equal(1, vm0.RxFrames);
        Assert.Equal(0, vm0.IngressDrops);
        PortCounters mem = Counters("mem");
        Assert.Equal(1, mem.TxOffered);
        Assert.Equal(wire, mem.TxBytes);
        Assert.Equal(count == 1 ? 0 : 1, mem[Counter.TxSegmented]);
        Assert.Equal(s.Frame.Length, Counters("tap").TxBytes);
        Assert.Equal(0, Counters("tap")[Counter.TxSegments]);
    }

    public static TheoryData<string> HostileHeaders => new()
    {
        "gso-size-zero", "gso-size-by-frags", "too-many-datagrams", "hdr-len-beyond-frame", "tcp-payload-udp-gso-v4",
        "tcp-payload-udp-gso-v6", "no-pending-checksum", "ecn-bit", "checksum-offset-of-tcp", "checksum-start-beyond-frame",
        "checksum-start-not-l4", "unknown-flags",
    };

    [Theory]
    [MemberData(nameof(HostileHeaders))]
    public void A_udp_super_frame_whose_header_does_not_fit_is_dropped_as_bad_offload_and_the_next_frame_passes(string hostile)
    {
        using TestFrontend guest = Connect();
        (byte[] frame, OffloadInfo info) = Hostile(hostile);
        guest.SendFrame(frame, Header(info));
        byte[] next = FrameBuilder.Transport(v6: false, udp: true, 100, gsoSize: 0, seed: 7).Frame; // no header: complete
        guest.SendFrame(next);

        Assert.True(EndToEnd.WaitFor(() => _plain.Pending == 1 && _tapLike.Received.Count == 1, s_timeout));
        Assert.Equal(next, _plain.TakeArray());
        Assert.Equal(next, _tapLike.Received.Single().Frame);
        Assert.Equal(PortState.Up, _guest.State);
        PortCounters vm0 = Counters("vm0");
        Assert.Equal(1, vm0.Dropped(DropReason.BadOffload));
        Assert.Equal(2, vm0.RxFrames);
        Assert.Equal(vm0.RxFrames, vm0.Forwarded + vm0.IngressDrops);
    }

    private static (byte[] Frame, OffloadInfo Info) Hostile(string name)
    {
        FrameBuilder.TransportFrame udp = FrameBuilder.Transport(v6: false, udp: true, 3000, gsoSize: 1000);
        OffloadInfo info = udp.Info;
        switch (name)
        {
            case "gso-size-zero":
                info.GsoSize = 0;
                break;
            case "gso-size-by-frags":
                info.GsoSize = 0xFFFF;
                break;
            case "too-many-datagrams":
                info.GsoSize = 23; // 3000 / 23 -> 131 datagrams
                break;
            case "hdr-len-beyond-frame":
                info.HeaderLength = (ushort)(udp.Frame.Length + 1);
                break;
            case "tcp-payload-udp-gso-v4":
            case "tcp-payload-udp-gso-v6":
                FrameBuilder.TransportFrame tcp = FrameBuilder.Transport(v6: name.EndsWith("v6", StringComparison.Ordinal), udp: false, 3000, gsoSize: 1000);
                info = tcp.Info;
                info.GsoType = GsoType.UdpL4;
                info.ChecksumOffset = 6;
                return (tcp.Frame, info);
            case "no-pending-checksum":
                info.Flags = OffloadFlags.None;
                break;
            case "ecn-bit":
                info.GsoType = GsoType.UdpL4 | GsoType.Ecn;
                break;
            case "checksum-offset-of-tcp":
                info.ChecksumOffset = 16;
                break;
            case "checksum-start-beyond-frame":
                info.ChecksumStart = (ushort)(udp.Frame.Length - 4);
                break;
            case "checksum-start-not-l4":
                info.ChecksumStart = (ushort)(udp.L4 - 4);
                break;
            case "unknown-flags":
                info.Flags |= (OffloadFlags)0x40;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(name), name, null);
        }

        return (udp.Frame, info);
    }

    private TestFrontend Connect()
    {
        var guest = new TestFrontend(_guest.Options.SocketPath);
        guest.Negotiate(UsoFeatures);
        Assert.True(SpinWait.SpinUntil(() => _guest.State == PortState.Up, s_timeout));
        return guest;
    }

    private static byte[] Header(OffloadInfo info)
    {
        var header = new byte[OffloadInfo.VirtioFieldsSize];
        Unsafe.WriteUnaligned(ref header[0], info);
        return header;
    }

    private PortCounters Counters(string name) => _bridge.ReadCounters()[name]!;
}
