using System.Runtime.InteropServices;
using FastBridge.Frames;
using FastBridge.Interop;
using FastBridge.Ports;
using FastBridge.Ports.VhostUser;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Ports.VhostUser;

/// <summary>
/// A frontend cannot pull guest memory from under the switch: a memfd that allows sealing is sealed against shrinking
/// when mapped, and a port that requires sealed memory refuses a frontend whose memory cannot be sealed.
/// </summary>
public sealed class VhostUserMemorySealTests : IDisposable
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"fb-vu-{Guid.NewGuid():N}"[..20] + ".sock");
    private readonly Bridge _bridge = new(new BridgeOptions { Workers = 1, StormLimit = 0, PoolFrames = 1024 });
    private readonly MemoryPort _host = new("host");

    public void Dispose()
    {
        _bridge.Dispose();
        File.Delete(_path);
    }

    private VhostUserPort Start(bool requireSealed)
    {
        var vm = new VhostUserPort("vm0", new VhostUserPortOptions { SocketPath = _path, RequireSealedMemory = requireSealed });
        _bridge.AddPort(vm);
        _bridge.AddPort(_host);
        _bridge.Start();
        return vm;
    }

    [Fact]
    public void A_sealable_guest_memory_is_sealed_and_the_frontend_can_no_longer_shrink_it()
    {
        VhostUserPort vm = Start(requireSealed: true);
        using var guest = new TestFrontend(_path, sealable: true);
        guest.Negotiate();
        Assert.True(SpinWait.SpinUntil(() => vm.State == PortState.Up, s_timeout));
        Assert.Equal(0, vm.UnsealedMemoryRegions);
        Assert.Equal(-1, Libc.Ftruncate(guest.MemoryFd, 4096));
        Assert.Equal(1, Marshal.GetLastPInvokeError()); // EPERM: the seal holds for the frontend's own fd too

        // The port still works over that memory.
        guest.PostReceiveBuffers(4);
        Assert.True(_host.TryInject(FrameBuilder.Untagged(Stations.Address(21), Stations.Address(22), seed: 5)));
        Assert.NotNull(guest.ReceiveFrame(s_timeout, out _));
    }

    [Fact]
    public void By_default_an_unsealable_guest_memory_is_taken_and_counted()
    {
        VhostUserPort vm = Start(requireSealed: false);
        using var guest = new TestFrontend(_path, sealable: false);
        guest.Negotiate();
        Assert.True(SpinWait.SpinUntil(() => vm.State == PortState.Up, s_timeout));
        Assert.Equal(1, vm.UnsealedMemoryRegions);
    }

    [Fact]
    public void A_port_that_requires_sealed_memory_closes_a_frontend_whose_memory_cannot_be_sealed()
    {
        VhostUserPort vm = Start(requireSealed: true);
        using var guest = new TestFrontend(_path, sealable: false);
        guest.Send(VhostRequest.SetMemTable,
            TestFrontend.MemTable(TestFrontend.GuestBase, TestFrontend.MemorySize, (ulong)guest.Base), guest.MemoryFd);
        Assert.True(guest.WaitClosed());
        Assert.True(SpinWait.SpinUntil(() => vm.LastDisconnectReason is not null, s_timeout));
        Assert.Contains("sealed", vm.LastDisconnectReason, StringComparison.Ordinal);
        Assert.Equal(PortState.LinkDown, vm.State);
        Assert.Equal(0, Libc.Ftruncate(guest.MemoryFd, 4096)); // nothing of it stayed mapped here; the frontend may shrink it
    }
}
