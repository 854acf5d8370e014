using System.Runtime.CompilerServices;
using FastBridge.Diagnostics;
using FastBridge.Ports;
using FastBridge.Ports.VhostUser;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Ports.VhostUser;

/// <summary>
/// Super-frames between two guests: a UDP super-frame (USO) sent to a guest that takes TCP offloads but was not
/// offered USO is cut into datagrams with complete checksums, and counted as one frame transmitted (it used to be
/// counted tx-error).
/// </summary>
public sealed class VhostUserOffloadTests : IDisposable
{
    private const ulong OffloadFeatures = TestFrontend.DefaultFeatures | (1UL << VhostProtocol.NetCsum)
        | (1UL << VhostProtocol.NetGuestCsum) | (1UL << VhostProtocol.NetGuestTso4) | (1UL << VhostProtocol.NetGuestTso6)
        | (1UL << VhostProtocol.NetHostTso4) | (1UL << VhostProtocol.NetHostTso6);

    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);
    private readonly string _folder = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"fb-vuo-{Guid.NewGuid():N}"[..16])).FullName;
    private readonly Bridge _bridge = new(new BridgeOptions { Workers = 1, StormLimit = 0, PoolFrames = 1024 });
    private readonly VhostUserPort _sender;
    private readonly VhostUserPort _receiver;

    public VhostUserOffloadTests()
    {
        _sender = new VhostUserPort("vm0", new VhostUserPortOptions { SocketPath = Path.Combine(_folder, "vm0.sock") });
        _receiver = new VhostUserPort("vm1", new VhostUserPortOptions { SocketPath = Path.Combine(_folder, "vm1.sock") });
        _bridge.AddPort(_sender);
        _bridge.AddPort(_receiver);
        _bridge.Start();
    }

    public void Dispose()
    {
        _bridge.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_udp_super_frame_to_a_guest_without_uso_arrives_as_complete_datagrams(bool v6)
    {
        using var a = new TestFrontend(_sender.Options.SocketPath);
        using var b = new TestFrontend(_receiver.Options.SocketPath);
        a.Negotiate(OffloadFeatures);
        b.Negotiate(OffloadFeatures);
        b.PostReceiveBuffers(8);
        Assert.True(SpinWait.SpinUntil(() => _sender.State == PortState.Up && _receiver.State == PortState.Up, s_timeout));
        Assert.True(_receiver.AcceptsOffloads);

        FrameBuilder.TransportFrame s = FrameBuilder.Transport(v6, udp: true, payloadLength: 3000, gsoSize: 1000);
        var header = new byte[16];
        Unsafe.WriteUnaligned(ref header[0], s.Info);
        a.SendFrame(s.Frame, header.AsSpan(0, FastBridge.Offloads.OffloadInfo.VirtioFieldsSize));

        var payload = new List<byte>();
        for (int k = 0; k < 3; k++)
        {
            byte[]? datagram = b.ReceiveFrame(s_timeout, out int buffers);
            Assert.NotNull(datagram);
            Assert.Equal(1, buffers);
            Assert.Equal(s.HeaderLength + 1000, datagram.Length);
            Assert.True(FrameBuilder.ChecksumsVerify(datagram, s.L3, s.L4, v6, udp: true), $"segment {k}: checksums");
            payload.AddRange(datagram[s.HeaderLength..]);
        }

        Assert.Equal(s.Payload, payload);
        Assert.True(SpinWait.SpinUntil(() => Counters("vm1").TxFrames == 1, s_timeout));
        PortCounters vm1 = Counters("vm1");
        Assert.Equal(1, vm1.TxOffered);
        Assert.Equal(0, vm1.Dropped(DropReason.TxError));
        Assert.Equal(vm1.TxOffered, vm1.TxFrames + vm1.EgressDrops);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_udp_super_frame_to_a_guest_that_negotiated_uso_arrives_whole_with_its_gso_header(bool v6)
    {
        using var a = new TestFrontend(_sender.Options.SocketPath);
        using var b = new TestFrontend(_receiver.Options.SocketPath);
        a.Negotiate(OffloadFeatures);
        b.Negotiate(OffloadFeatures | (1UL << VhostProtocol.NetGuestUso4) | (1UL << VhostProtocol.NetGuestUso6));
        b.PostReceiveBuffers(8);
        Assert.True(SpinWait.SpinUntil(() => _sender.State == PortState.Up && _receiver.State == PortState.Up, s_timeout));

        FrameBuilder.TransportFrame s = FrameBuilder.Transport(v6, udp: true, payloadLength: 3000, gsoSize: 1000);
        var header = new byte[16];
        Unsafe.WriteUnaligned(ref header[0], s.Info);
        a.SendFrame(s.Frame, header.AsSpan(0, FastBridge.Offloads.OffloadInfo.VirtioFieldsSize));

        byte[]? received = b.ReceiveFrame(s_timeout, out _, out byte[] virtioHeader);
        Assert.NotNull(received);
        Assert.Equal(s.Frame, received); // one super-frame, the UDP checksum still the guest's to fill
        var info = Unsafe.ReadUnaligned<FastBridge.Offloads.OffloadInfo>(ref virtioHeader[0]);
        Assert.Equal(FastBridge.Offloads.GsoType.UdpL4, info.Kind);
        Assert.Equal(1000, info.GsoSize);
        Assert.Equal(s.Info.ChecksumStart, info.ChecksumStart);
        Assert.Equal(s.Info.ChecksumOffset, info.ChecksumOffset);
        Assert.True(SpinWait.SpinUntil(() => Counters("vm1").TxFrames == 1, s_timeout));
        PortCounters vm1 = Counters("vm1");
        Assert.Equal(1, vm1.TxOffered);
        Assert.Equal(vm1.TxOffered, vm1.TxFrames + vm1.EgressDrops);
    }

    [Fact]
    public void A_guest_that_negotiated_uso_for_one_ip_version_only_gets_udp_super_frames_cut()
    {
        using var a = new TestFrontend(_sender.Options.SocketPath);
        using var b = new TestFrontend(_receiver.Options.SocketPath);
        a.Negotiate(OffloadFeatures);
        b.Negotiate(OffloadFeatures | (1UL << VhostProtocol.NetGuestUso4));
        b.PostReceiveBuffers(8);
        Assert.True(SpinWait.SpinUntil(() => _sender.State == PortState.Up && _receiver.State == PortState.Up, s_timeout));

        FrameBuilder.TransportFrame s = FrameBuilder.Transport(v6: false, udp: true, payloadLength: 2000, gsoSize: 1000);
        var header = new byte[16];
        Unsafe.WriteUnaligned(ref header[0], s.Info);
        a.SendFrame(s.Frame, header.AsSpan(0, FastBridge.Offloads.OffloadInfo.VirtioFieldsSize));
        for (int k = 0; k < 2; k++)
        {
            byte[]? datagram = b.ReceiveFrame(s_timeout, out _, out byte[] virtioHeader);
            Assert.NotNull(datagram);
            Assert.Equal(s.HeaderLength + 1000, datagram.Length);
            Assert.Equal(0, virtioHeader[1]); // gso_type none
        }
    }

    private PortCounters Counters(string name) => _bridge.ReadCounters().Ports.Single(p => p.Name == name);
}
