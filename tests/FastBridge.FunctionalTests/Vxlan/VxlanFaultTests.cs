using FastBridge.Diagnostics;
using FastBridge.Ports;
using FastBridge.Ports.Vxlan;
using FastBridge.Tests.Hosts;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Vxlan;

/// <summary>
/// Faults under a VXLAN port: the underlay interface goes down and up again, the remote VTEP (the kernel's vx0) is
/// deleted and created again. While broken, frames are counted as dropped (the accounting still balances); afterwards
/// the hosts talk again without touching the switch.
/// </summary>
[Collection(nameof(EndToEndCollection))]
public sealed class VxlanFaultTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(20);

    [SkippableFact]
    public void The_tunnel_recovers_after_the_underlay_goes_down_and_after_the_remote_vtep_is_gone_and_back()
    {
        EndToEnd.RequirePrivileges();
        using var hosts = new SwitchedHosts(1);
        using var kernel = new KernelVtep(ipv6: false);
        hosts.Host(0).Exec($"ip link set dev {hosts.Taps[0]} mtu 1450");
        VxlanPort port = VxlanKernelInteropTests.OpenIn(kernel, ipv6: false);
        hosts.Bridge.AddPort(port);
        Assert.True(Ping(hosts), "no ping before the faults");

        // Underlay down: no route to the remote; the frames A sends are dropped as tx-error, counted.
        kernel.UnderlayA.Exec($"ip link set dev {kernel.UnderlayIfA} down");
        long txErrors = hosts.Bridge.ReadCounters()[port.Name]!.Dropped(DropReason.TxError);
        Assert.False(Ping(hosts), "ping went through with the underlay down");
        Assert.True(hosts.Bridge.ReadCounters()[port.Name]!.Dropped(DropReason.TxError) > txErrors, "nothing counted while the underlay was down");
        Assert.Equal(PortState.Up, port.State); // the tunnel itself is fine: it is the underlay that has no route
        kernel.UnderlayA.Exec($"ip link set dev {kernel.UnderlayIfA} up");
        Assert.True(EndToEnd.WaitFor(() => Ping(hosts), s_timeout), "no ping after the underlay came back");

        // The remote VTEP goes away (its datagrams stop; ours meet a closed port) and comes back.
        string underlayB = kernel.B.Exec("ip -o link show").Split('\n').First(l => l.Contains("fvu", StringComparison.Ordinal)).Split(':')[1].Trim().Split('@')[0];
        kernel.B.Exec("ip link del vx0");
        Assert.False(Ping(hosts), "ping went through with the remote VTEP gone");
        kernel.B.Exec($"ip link add vx0 type vxlan id 42 dstport 4789 local {kernel.AddressB} remote {kernel.AddressA} dev {underlayB}");
        kernel.B.Exec("ip link set dev vx0 master br0");
        kernel.B.Exec("ip link set dev vx0 up");
        Assert.True(EndToEnd.WaitFor(() => Ping(hosts), s_timeout), "no ping after the remote VTEP came back");

        VxlanKernelInteropTests.AssertAccounted(hosts.Bridge);
    }

    private static bool Ping(SwitchedHosts hosts) =>
        hosts.Host(0).TryExec($"ping -c 2 -i 0.2 -W 1 {KernelVtep.HostBAddress}").ExitCode == 0;
}
