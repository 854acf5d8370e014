using FastBridge.Buffers;
using FastBridge.Frames;
using FastBridge.Interop;
using FastBridge.Ports;
using FastBridge.Ports.VhostUser;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Ports.VhostUser;

/// <summary>
/// When the guest is asked to kick: not while the worker is awake (an empty Receive leaves kicks off, no system call
/// on either side), and always before the worker sleeps (PrepareToSleep turns them on, empties the kick eventfd, and
/// the Receive after it sees a frame queued meanwhile). The port is driven directly, as its worker would.
/// </summary>
public sealed class VhostUserNotificationTests : IDisposable
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"fb-vun-{Guid.NewGuid():N}"[..20] + ".sock");
    private readonly Bridge _bridge = new(new BridgeOptions { Workers = 1, StormLimit = 0, PoolFrames = 256 });
    private readonly VhostUserPort _vm;
    private readonly Packet[] _burst = new Packet[8];

    public VhostUserNotificationTests()
    {
        _vm = new VhostUserPort("vm0", new VhostUserPortOptions { SocketPath = _path });
        _bridge.AddPort(_vm); // not started: this test is the worker
    }

    public void Dispose()
    {
        _bridge.Dispose();
        File.Delete(_path);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Kicks_stay_off_while_the_worker_is_awake_and_are_asked_for_before_it_sleeps(bool eventIdx)
    {
        using var guest = new TestFrontend(_path);
        guest.Negotiate(TestFrontend.DefaultFeatures | (eventIdx ? 1UL << VhostProtocol.RingEventIdx : 0));
        Assert.True(SpinWait.SpinUntil(() => _vm.State == PortState.Up, s_timeout));
        Assert.True(KicksWanted(guest, eventIdx, from: 0, to: 1)); // published idle: kick me

        guest.SendFrame(FrameBuilder.Untagged(MacAddress.Broadcast, Stations.Address(1), seed: 1));
        Assert.Equal(1, ReceiveAll());
        Assert.False(KicksWanted(guest, eventIdx, from: 1, to: 2)); // busy: no kicks

        Assert.Equal(0, ReceiveAll());
        Assert.False(KicksWanted(guest, eventIdx, from: 1, to: 2)); // empty but awake: still no kicks
        Assert.True(KickPending(guest)); // the first frame's kick is still in the eventfd: nobody read it

        _vm.PrepareToSleep();
        Assert.True(KicksWanted(guest, eventIdx, from: 1, to: 2)); // about to sleep: kick me at the next frame
        Assert.False(KickPending(guest)); // emptied, so a level-triggered epoll sleeps until the next kick

        guest.SendFrame(FrameBuilder.Untagged(MacAddress.Broadcast, Stations.Address(1), seed: 2));
        Assert.Equal(1, ReceiveAll()); // the worker's last look before sleeping takes it
    }

    private int ReceiveAll()
    {
        int n = _vm.Receive(_bridge.Pool, _burst);
        for (int i = 0; i < n; i++)
        {
            _burst[i].Release();
        }

        return n;
    }

    /// <summary>The guest's own test (virtio 2.7.10) before kicking for avail entries <paramref name="from"/>..<paramref name="to"/>.</summary>
    private static bool KicksWanted(TestFrontend guest, bool eventIdx, ushort from, ushort to)
    {
        if (!eventIdx)
        {
            return guest.ReadUsedFlags(VhostProtocol.TxRing) == 0;
        }

        ushort availEvent = guest.ReadAvailEvent(VhostProtocol.TxRing);
        return (ushort)(to - availEvent - 1) < (ushort)(to - from);
    }

    /// <summary>Whether the TX kick eventfd holds a kick; looks without taking it (poll(2), no read).</summary>
    private static bool KickPending(TestFrontend guest)
    {
        using var epoll = new Epoll(1);
        epoll.Add(guest.Kick[VhostProtocol.TxRing], 0);
        return epoll.Wait(0) > 0;
    }
}
