using System.Net.Sockets;
using FastBridge.Diagnostics;
using FastBridge.Frames;
using FastBridge.Ports;
using FastBridge.Ports.VhostUser;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Ports.VhostUser;

/// <summary>EVENT_IDX and notification suppression, accounting on both sides, a frontend that goes away, and the client role.</summary>
public sealed class VhostUserPortBehaviourTests : IDisposable
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);
    private static readonly MacAddress s_guest = Stations.Address(11);
    private static readonly MacAddress s_host = Stations.Address(12);
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"fb-vu-{Guid.NewGuid():N}"[..20] + ".sock");
    private readonly Bridge _bridge = new(new BridgeOptions { Workers = 1, StormLimit = 0, PoolFrames = 1024 });
    private readonly MemoryPort _host = new("host");

    public void Dispose()
    {
        _bridge.Dispose();
        File.Delete(_path);
    }

    private VhostUserPort Start(bool client = false)
    {
        var vm = new VhostUserPort("vm0", new VhostUserPortOptions { SocketPath = _path, Client = client });
        _bridge.AddPort(vm);
        _bridge.AddPort(_host);
        _bridge.Start();
        return vm;
    }

    private PortCounters Counters(string name) => _bridge.ReadCounters().Ports.Single(p => p.Name == name);

    [Fact]
    public void With_event_idx_the_guest_is_interrupted_only_past_its_used_event_and_kicks_are_asked_for_when_idle()
    {
        VhostUserPort vm = Start();
        using var guest = new TestFrontend(_path);
        guest.Negotiate(TestFrontend.DefaultFeatures | (1UL << VhostProtocol.RingEventIdx));
        Assert.True(SpinWait.SpinUntil(() => vm.State == PortState.Up, s_timeout));
        guest.TakeInterrupts(VhostProtocol.TxRing);

        guest.WriteUsedEvent(VhostProtocol.TxRing, 100); // interrupt me only after the 101st used entry
        for (int i = 0; i < 3; i++)
        {
            guest.SendFrame(FrameBuilder.Untagged(MacAddress.Broadcast, s_guest, seed: (byte)i));
        }

        Assert.True(SpinWait.SpinUntil(() => guest.UsedIndex(VhostProtocol.TxRing) == 3, s_timeout));
        Assert.True(SpinWait.SpinUntil(() => guest.ReadAvailEvent(VhostProtocol.TxRing) == 3, s_timeout)); // idle: kick me at 3
        Assert.Equal(0UL, guest.TakeInterrupts(VhostProtocol.TxRing));

        guest.WriteUsedEvent(VhostProtocol.TxRing, 3); // now: interrupt after entry 4
        guest.SendFrame(FrameBuilder.Untagged(MacAddress.Broadcast, s_guest, seed: 9));
        Assert.True(SpinWait.SpinUntil(() => guest.UsedIndex(VhostProtocol.TxRing) == 4, s_timeout));
        Assert.True(SpinWait.SpinUntil(() => guest.TakeInterrupts(VhostProtocol.TxRing) > 0, s_timeout));
    }

    [Fact]
    public void Without_event_idx_an_idle_ring_asks_for_kicks_and_no_interrupt_goes_to_a_guest_that_refused_them()
    {
        VhostUserPort vm = Start();
        using var guest = new TestFrontend(_path);
        guest.Negotiate();
        Assert.True(SpinWait.SpinUntil(() => vm.State == PortState.Up, s_timeout));
        guest.SendFrame(FrameBuilder.Untagged(MacAddress.Broadcast, s_guest, seed: 1));
        Assert.True(SpinWait.SpinUntil(() => guest.UsedIndex(VhostProtocol.TxRing) == 1, s_timeout));
        Assert.True(SpinWait.SpinUntil(() => guest.ReadUsedFlags(VhostProtocol.TxRing) == 0, s_timeout)); // NO_NOTIFY clear: kick me
        Assert.True(guest.TakeInterrupts(VhostProtocol.TxRing) > 0); // flags 0 on the avail ring: interrupts wanted
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_guest_is_never_asked_to_kick_for_the_receive_buffers_it_posts(bool eventIdx)
    {
        VhostUserPort vm = Start();
        using var guest = new TestFrontend(_path);
        guest.Negotiate(TestFrontend.DefaultFeatures | (eventIdx ? 1UL << VhostProtocol.RingEventIdx : 0));
        Assert.True(SpinWait.SpinUntil(() => vm.State == PortState.Up, s_timeout));
        AssertNoKickWanted(guest, eventIdx, from: 0, to: 4);
        guest.PostReceiveBuffers(4);
        Assert.True(_host.TryInject(FrameBuilder.Untagged(s_guest, s_host, seed: 6)));
        Assert.NotNull(guest.ReceiveFrame(s_timeout, out _));
        AssertNoKickWanted(guest, eventIdx, from: 4, to: 8);
    }

    /// <summary>The guest's own test before kicking (virtio 2.7.10) when it moves its RX avail index from <paramref name="from"/>
    /// to <paramref name="to"/>: NO_NOTIFY set, or with EVENT_IDX vring_need_event(avail_event, to, from) false.</summary>
    private static void AssertNoKickWanted(TestFrontend guest, bool eventIdx, ushort from, ushort to)
    {
        if (eventIdx)
        {
            ushort availEvent = guest.ReadAvailEvent(VhostProtocol.RxRing);
            Assert.False((ushort)(to - availEvent - 1) < (ushort)(to - from), $"avail_event {availEvent} asks for a kick");
        }
        else
        {
            Assert.Equal(Virtqueue.UsedNoNotify, guest.ReadUsedFlags(VhostProtocol.RxRing));
        }
    }

    [Fact]
    public void Frames_to_a_guest_without_buffers_or_without_a_frontend_are_counted_and_the_books_balance()
    {
        VhostUserPort vm = Start();
        byte[] toGuest = FrameBuilder.Untagged(MacAddress.Broadcast, s_host, seed: 2);
        Assert.True(_host.TryInject(toGuest));
        Assert.True(SpinWait.SpinUntil(() => Counters("vm0").Dropped(DropReason.RingNotReady) + Counters("host").Dropped(DropReason.NoOutput) >= 1, s_timeout));

        using var guest = new TestFrontend(_path);
        guest.Negotiate();
        Assert.True(SpinWait.SpinUntil(() => vm.State == PortState.Up, s_timeout));
        Assert.True(_host.TryInject(toGuest)); // no receive buffer posted
        Assert.True(SpinWait.SpinUntil(() => Counters("vm0").Dropped(DropReason.NoGuestBuffer) == 1, s_timeout));
        PortCounters counters = Counters("vm0");
        Assert.Equal(counters.TxOffered, counters.TxFrames + counters.EgressDrops);
    }

    [Fact]
    public void An_impossible_avail_index_stops_the_port_with_a_reason_until_the_frontend_reconnects()
    {
        VhostUserPort vm = Start();
        using var guest = new TestFrontend(_path);
        guest.Negotiate();
        Assert.True(SpinWait.SpinUntil(() => vm.State == PortState.Up, s_timeout));
        guest.ForceAvailIndex(VhostProtocol.TxRing, 1000); // 1000 entries pending on a 256-entry ring
        Assert.True(SpinWait.SpinUntil(() => vm.State == PortState.LinkDown, s_timeout));
        Assert.Contains("avail index", vm.StateReason);
        Assert.True(Counters("host").RxFrames == 0);

        guest.Reconnect(_path);
        guest.Negotiate();
        Assert.True(SpinWait.SpinUntil(() => vm.State == PortState.Up, s_timeout));
    }

    [Fact]
    public void The_macs_of_a_guest_that_left_are_forgotten()
    {
        VhostUserPort vm = Start();
        var guest = new TestFrontend(_path);
        guest.Negotiate();
        Assert.True(SpinWait.SpinUntil(() => vm.State == PortState.Up, s_timeout));
        guest.SendFrame(FrameBuilder.Untagged(MacAddress.Broadcast, s_guest, seed: 3));
        Assert.True(SpinWait.SpinUntil(() => _bridge.MacTable.Lookup(s_guest.Value, 0) == vm.Id, s_timeout));
        guest.Dispose();
        Assert.True(SpinWait.SpinUntil(() => !vm.FrontendConnected && vm.State == PortState.LinkDown, s_timeout));
        Assert.True(SpinWait.SpinUntil(() => _bridge.MacTable.Lookup(s_guest.Value, 0) != vm.Id, s_timeout));
    }

    [Fact]
    public void In_the_client_role_the_port_connects_to_a_listening_frontend_and_again_after_it_restarts()
    {
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(_path));
        listener.Listen(1);
        VhostUserPort vm = Start(client: true);
        using (var guest = new TestFrontend(listener.Accept()))
        {
            guest.Negotiate();
            guest.PostReceiveBuffers(4);
            Assert.True(SpinWait.SpinUntil(() => vm.State == PortState.Up, s_timeout));
            Assert.True(_host.TryInject(FrameBuilder.Untagged(s_guest, s_host, seed: 4)));
            Assert.NotNull(guest.ReceiveFrame(s_timeout, out _));
        }

        using var again = new TestFrontend(listener.Accept()); // the port retries after the frontend went away
        again.Negotiate();
        Assert.True(SpinWait.SpinUntil(() => vm.State == PortState.Up && vm.Connections == 2, s_timeout));
    }
}
