using FastBridge.Diagnostics;
using FastBridge.Frames;
using FastBridge.Ports;
using FastBridge.Ports.VhostUser;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Ports.VhostUser;

/// <summary>
/// A vhost-user port driven by the in-process test frontend through a bridge with a memory port: negotiation, both
/// directions, and the hostile cases (each counted, the connection or the chain refused, never a crash).
/// </summary>
public sealed class VhostUserPortTests : IDisposable
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);
    private static readonly MacAddress s_guest = Stations.Address(1);
    private static readonly MacAddress s_host = Stations.Address(2);

    private readonly string _path = Path.Combine(Path.GetTempPath(), $"fb-vu-{Guid.NewGuid():N}"[..20] + ".sock");
    private readonly Bridge _bridge = new(new BridgeOptions { Workers = 1, StormLimit = 0, PoolFrames = 1024 });
    private readonly VhostUserPort _vm;
    private readonly MemoryPort _host = new("host");

    public VhostUserPortTests()
    {
        _vm = new VhostUserPort("vm0", new VhostUserPortOptions { SocketPath = _path });
        _bridge.AddPort(_vm);
        _bridge.AddPort(_host);
        _bridge.Start();
    }

    public void Dispose() => _bridge.Dispose();

    [Fact]
    public void The_socket_is_private_and_the_port_is_down_until_a_frontend_is_ready()
    {
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_path));
        Assert.Equal(PortState.LinkDown, _vm.State);
        using var guest = new TestFrontend(_path);
        guest.Negotiate();
        Assert.True(SpinWait.SpinUntil(() => _vm.State == PortState.Up, s_timeout));
        Assert.True(_vm.FrontendConnected);
        Assert.Equal($"0x{TestFrontend.DefaultFeatures:x}", _vm.NegotiatedFeatures);
        Assert.Equal(1UL, guest.RequestU64(VhostRequest.GetQueueNum));
    }

    [Fact]
    public void Frames_cross_both_ways_between_the_guest_and_a_memory_port()
    {
        using var guest = new TestFrontend(_path);
        guest.Negotiate();
        guest.PostReceiveBuffers(16);
        Assert.True(SpinWait.SpinUntil(() => _vm.State == PortState.Up, s_timeout));

        byte[] out1 = FrameBuilder.Untagged(MacAddress.Broadcast, s_guest, payloadLength: 100, seed: 1);
        guest.SendFrame(out1);
        byte[]? atHost = null;
        Assert.True(SpinWait.SpinUntil(() => (atHost = _host.TakeArray()) is not null, s_timeout));
        Assert.Equal(out1, atHost);
        Assert.True(guest.TryTakeUsed(VhostProtocol.TxRing, out int id, out _));
        Assert.Equal(0, id);

        byte[] back = FrameBuilder.Untagged(s_guest, s_host, payloadLength: 200, seed: 2);
        Assert.True(_host.TryInject(back));
        byte[]? atGuest = guest.ReceiveFrame(s_timeout, out int buffers);
        Assert.Equal(back, atGuest);
        Assert.Equal(1, buffers);

        PortCounters vm = Counters("vm0");
        Assert.Equal(1, vm.RxFrames);
        Assert.Equal(1, vm.TxFrames);
    }

    [Fact]
    public void A_frame_longer_than_one_guest_buffer_is_spread_over_several_with_num_buffers()
    {
        using var guest = new TestFrontend(_path);
        guest.Negotiate();
        guest.PostReceiveBuffers(8, size: 512);
        Assert.True(SpinWait.SpinUntil(() => _vm.State == PortState.Up, s_timeout));
        guest.SendFrame(FrameBuilder.Untagged(MacAddress.Broadcast, s_guest, seed: 3)); // learn the guest
        Assert.True(SpinWait.SpinUntil(() => _host.TakeArray() is not null, s_timeout));

        byte[] big = FrameBuilder.Untagged(s_guest, s_host, payloadLength: 1400, seed: 4);
        Assert.True(_host.TryInject(big));
        byte[]? atGuest = guest.ReceiveFrame(s_timeout, out int buffers);
        Assert.Equal(3, buffers); // 12 + 1414 bytes in 512-byte buffers
        Assert.Equal(big, atGuest);
    }

    [Fact]
    public void Frames_that_fit_one_buffer_and_frames_spread_over_several_reach_the_guest_in_order_each_intact()
    {
        // Transmit reserves the one-buffer frames of a burst and writes them after the walk, while a spread frame is
        // copied at once: the frames between and after it must still land whole, in their own buffers, in order.
        using var guest = new TestFrontend(_path);
        guest.Negotiate();
        guest.PostReceiveBuffers(16, size: 512);
        Assert.True(SpinWait.SpinUntil(() => _vm.State == PortState.Up, s_timeout));
        guest.SendFrame(FrameBuilder.Untagged(MacAddress.Broadcast, s_guest, seed: 5)); // learn the guest
        Assert.True(SpinWait.SpinUntil(() => _host.TakeArray() is not null, s_timeout));

        byte[][] frames =
        [
            FrameBuilder.Untagged(s_guest, s_host, payloadLength: 100, seed: 6),
            FrameBuilder.Untagged(s_guest, s_host, payloadLength: 1400, seed: 7),
            FrameBuilder.Untagged(s_guest, s_host, payloadLength: 200, seed: 8),
            FrameBuilder.Untagged(s_guest, s_host, payloadLength: 60, seed: 9),
        ];
        foreach (byte[] frame in frames)
        {
            Assert.True(_host.TryInject(frame));
        }

        int[] expectedBuffers = [1, 3, 1, 1];
        for (int i = 0; i < frames.Length; i++)
        {
            byte[]? atGuest = guest.ReceiveFrame(s_timeout, out int buffers);
            Assert.Equal(frames[i], atGuest);
            Assert.Equal(expectedBuffers[i], buffers);
        }

        // the worker publishes a burst's counters after the burst: wait for them (bounded), then they must add up
        Assert.True(SpinWait.SpinUntil(() => Counters("vm0").TxFrames == frames.Length, s_timeout));
    }

    [Fact]
    public void Bad_descriptors_are_counted_and_the_port_and_the_others_keep_switching()
    {
        using var guest = new TestFrontend(_path);
        guest.Negotiate();
        Assert.True(SpinWait.SpinUntil(() => _vm.State == PortState.Up, s_timeout));
        const int Tx = VhostProtocol.TxRing;

        guest.WriteDescriptor(Tx, 0, 0x10, 64, 0, 0); // outside guest memory
        guest.MakeAvailable(Tx, 0);
        guest.WriteDescriptor(Tx, 1, TestFrontend.BufferGpa(Tx, 1), uint.MaxValue, 0, 0); // length overflows the region
        guest.MakeAvailable(Tx, 1);
        guest.WriteDescriptor(Tx, 2, TestFrontend.BufferGpa(Tx, 2), 64, DescriptorWalker.FlagNext, 3); // a loop 2 -> 3 -> 2
        guest.WriteDescriptor(Tx, 3, TestFrontend.BufferGpa(Tx, 3), 64, DescriptorWalker.FlagNext, 2);
        guest.MakeAvailable(Tx, 2);
        guest.WriteDescriptor(Tx, 4, TestFrontend.BufferGpa(Tx, 4), 64, DescriptorWalker.FlagNext, 999); // next beyond the table
        guest.MakeAvailable(Tx, 4);
        guest.WriteDescriptor(Tx, 5, ulong.MaxValue - 8, 64, 0, 0); // address + length wraps
        guest.MakeAvailable(Tx, 5);

        Assert.True(SpinWait.SpinUntil(() => Counters("vm0").Dropped(DropReason.BadDescriptor) == 5, s_timeout));
        byte[] good = FrameBuilder.Untagged(MacAddress.Broadcast, s_guest, seed: 5);
        guest.SendFrame(good); // lands in slot 5's buffer index (avail slot 5): a fresh descriptor
        byte[]? atHost = null;
        Assert.True(SpinWait.SpinUntil(() => (atHost = _host.TakeArray()) is not null, s_timeout));
        Assert.Equal(good, atHost);
        Assert.Equal(PortState.Up, _vm.State);
        PortCounters vm = Counters("vm0");
        Assert.Equal(vm.RxFrames, vm.Forwarded + vm.IngressDrops);
    }

    [Fact]
    public void A_truncated_message_closes_the_connection_marks_the_port_down_and_a_new_frontend_brings_it_back()
    {
        using var guest = new TestFrontend(_path);
        guest.Negotiate();
        Assert.True(SpinWait.SpinUntil(() => _vm.State == PortState.Up, s_timeout));

        var header = new byte[VhostProtocol.HeaderSize];
        new VhostHeader(VhostRequest.SetVringNum, VhostProtocol.Version, 8).Write(header);
        guest.SendRaw(header);
        guest.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Send); // the payload never comes
        Assert.True(guest.WaitClosed());
        Assert.True(SpinWait.SpinUntil(() => _vm.State == PortState.LinkDown && !_vm.FrontendConnected, s_timeout));
        Assert.Contains("truncated", _vm.StateReason);

        guest.Reconnect(_path);
        guest.Negotiate();
        guest.PostReceiveBuffers(4);
        Assert.True(SpinWait.SpinUntil(() => _vm.State == PortState.Up, s_timeout));
        guest.SendFrame(FrameBuilder.Untagged(MacAddress.Broadcast, s_guest, seed: 6));
        Assert.True(SpinWait.SpinUntil(() => _host.TakeArray() is not null, s_timeout));
        Assert.Equal(2, _vm.Connections);
    }

    [Fact]
    public void A_wrong_fd_count_or_a_bad_version_closes_the_connection()
    {
        using var guest = new TestFrontend(_path);
        guest.Send(VhostRequest.SetOwner, [], fd: guest.Kick[0]); // an fd where none belongs
        Assert.True(guest.WaitClosed());
        Assert.Contains("fds", _vm.LastDisconnectReason);

        guest.Reconnect(_path);
        guest.Send(VhostRequest.SetOwner, [], flags: 2);
        Assert.True(guest.WaitClosed());
        Assert.Contains("version", _vm.LastDisconnectReason);
    }

    [Fact]
    public void Unknown_requests_and_migration_are_refused_without_closing()
    {
        using var guest = new TestFrontend(_path);
        guest.Send(VhostRequest.SetProtocolFeatures, BitConverter.GetBytes(1UL << VhostProtocol.ProtocolReplyAck));
        Assert.NotEqual(0UL, guest.SendAcked((VhostRequest)77, [1, 2, 3]));
        Assert.NotEqual(0UL, guest.SendAcked(VhostRequest.SetFeatures, BitConverter.GetBytes(1UL << VhostProtocol.LogAll)));
        Assert.Equal(0UL, guest.SendAcked(VhostRequest.SetOwner, []));
    }

    private PortCounters Counters(string name) => _bridge.ReadCounters().Ports.Single(p => p.Name == name);

}
