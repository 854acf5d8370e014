using FastBridge.Buffers;
using FastBridge.Frames;
using FastBridge.Interop;
using FastBridge.Ports;
using FastBridge.Ports.VhostUser;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Ports.VhostUser;

/// <summary>
/// The polling policy of the guest's TX ring: while the worker polls, an empty look asks the guest for nothing (no
/// kick, no system call); kicks are asked for again only when the worker is about to sleep (<c>PrepareToSleep</c>).
/// The port is driven directly (a bridge that is not started), so each step is one call.
/// </summary>
public sealed unsafe class VhostUserPollingTests : IDisposable
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"fb-vup-{Guid.NewGuid():N}"[..20] + ".sock");
    private readonly Bridge _bridge = new(new BridgeOptions { Workers = 1, StormLimit = 0, PoolFrames = 1024 });
    private readonly VhostUserPort _vm;
    private readonly Packet[] _burst = new Packet[8];

    public VhostUserPollingTests()
    {
        _vm = new VhostUserPort("vm0", new VhostUserPortOptions { SocketPath = _path });
        _bridge.AddPort(_vm);
    }

    public void Dispose()
    {
        _bridge.Dispose();
        File.Delete(_path);
    }

    private int ReceiveAndRelease()
    {
        int n = _vm.Receive(_bridge.Pool, _burst);
        for (int i = 0; i < n; i++)
        {
            _burst[i].Release();
        }

        return n;
    }

    private static bool KickPending(TestFrontend guest)
    {
        ulong value = 0;
        bool pending = Libc.Read(guest.Kick[VhostProtocol.TxRing], &value, 8) == 8;
        if (pending)
        {
            Libc.Write(guest.Kick[VhostProtocol.TxRing], &value, 8); // put it back: this only looked
        }

        return pending;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_polled_ring_asks_for_no_kicks_until_the_worker_is_about_to_sleep(bool eventIdx)
    {
        using var guest = new TestFrontend(_path);
        guest.Negotiate(TestFrontend.DefaultFeatures | (eventIdx ? 1UL << VhostProtocol.RingEventIdx : 0));
        Assert.True(SpinWait.SpinUntil(() => _vm.State == PortState.Up, s_timeout));
        bool KicksWanted(ushort next) => eventIdx
            ? guest.ReadAvailEvent(VhostProtocol.TxRing) == next  // vring_need_event(avail_event, next + 1, next)
            : guest.ReadUsedFlags(VhostProtocol.TxRing) == 0;     // NO_NOTIFY clear

        guest.SendFrame(FrameBuilder.Untagged(MacAddress.Broadcast, Stations.Address(1), seed: 1));
        Assert.Equal(1, ReceiveAndRelease());
        Assert.False(KicksWanted(1)); // busy: polled, no kicks

        Assert.Equal(0, ReceiveAndRelease());
        Assert.Equal(0, ReceiveAndRelease());
        Assert.False(KicksWanted(1)); // an empty look changes nothing
        Assert.True(KickPending(guest)); // nor reads the kick eventfd (no system call)

        _vm.PrepareToSleep();
        Assert.True(KicksWanted(1)); // about to sleep: kick me for the next frame
        Assert.False(KickPending(guest)); // and the old kick is gone, so the sleep is not cut short by it

        guest.SendFrame(FrameBuilder.Untagged(MacAddress.Broadcast, Stations.Address(1), seed: 2));
        Assert.Equal(1, ReceiveAndRelease());
        Assert.False(KicksWanted(2)); // busy again
    }
}
