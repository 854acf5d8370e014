using System.Net;
using System.Text.Json;
using FastBridge.Diagnostics;
using FastBridge.Frames;
using FastBridge.Ports.Vxlan;
using FastBridge.Tests.Hosts;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Vxlan;

/// <summary>
/// FastBridge's VXLAN port against the Linux kernel's VXLAN (issue 13): host A behind a TAP of an in-process bridge
/// whose VXLAN port's sockets live in underlay namespace A; host B behind the kernel's vx0 and bridge in namespace B.
/// Ping and TCP across, both remote tables agree, over IPv4 and IPv6 underlays.
/// </summary>
[Collection(nameof(EndToEndCollection))]
public sealed class VxlanKernelInteropTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(15);

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void Hosts_behind_fastbridge_and_the_kernel_ping_and_learn_each_other_behind_the_right_vtep(bool ipv6)
    {
        EndToEnd.RequirePrivileges();
        using var hosts = new SwitchedHosts(1);
        using var kernel = new KernelVtep(ipv6);
        hosts.Host(0).Exec($"ip link set dev {hosts.Taps[0]} mtu {(ipv6 ? 1430 : 1450)}");
        VxlanPort port = OpenIn(kernel, ipv6);
        hosts.Bridge.AddPort(port);

        Assert.True(hosts.Host(0).TryExec($"ping -c 3 -i 0.2 -W 2 {KernelVtep.HostBAddress}").ExitCode == 0, "host A cannot ping host B across VXLAN");

        // A: the bridge says "behind vx0", the port says behind B's VTEP.
        MacAddress hostB = MacAddress.Parse(kernel.HostBMac);
        Assert.Equal(port.Id, hosts.Bridge.MacTable.Lookup(hostB.Value, 0));
        VxlanFdbEntry entry = Assert.Single(port.Entries(), e => e.Mac == hostB);
        Assert.Equal((IPAddress.Parse(kernel.AddressB), 42, false), (entry.Remote, entry.Vni, entry.IsStatic));

        // B: the kernel learned host A's MAC behind A's address.
        string hostA = hosts.Mac(0).ToString();
        string fdb = kernel.B.Exec("bridge fdb show dev vx0");
        Assert.Contains(fdb.Split('\n'), line => line.StartsWith(hostA, StringComparison.OrdinalIgnoreCase) && line.Contains($"dst {kernel.AddressA}", StringComparison.Ordinal));

        AssertAccounted(hosts.Bridge);
        Assert.Equal(0, hosts.Bridge.ReadCounters()[port.Name]!.IngressDrops);
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void Tcp_runs_across_both_ways(bool ipv6)
    {
        EndToEnd.RequirePrivileges();
        Skip.If(!File.Exists("/usr/bin/iperf3") && !EndToEnd.Required, "iperf3 is not installed");
        using var hosts = new SwitchedHosts(1);
        using var kernel = new KernelVtep(ipv6);
        hosts.Host(0).Exec($"ip link set dev {hosts.Taps[0]} mtu {(ipv6 ? 1430 : 1450)}");
        VxlanPort port = OpenIn(kernel, ipv6);
        hosts.Bridge.AddPort(port);
        Assert.True(hosts.Host(0).TryExec($"ping -c 2 -i 0.2 -W 2 {KernelVtep.HostBAddress}").ExitCode == 0);

        foreach (bool reverse in new[] { false, true })
        {
            kernel.HostB.Exec($"iperf3 -s -1 -D -B {KernelVtep.HostBAddress}");
            Assert.True(EndToEnd.WaitFor(() => kernel.HostB.TryExec("ss -ltn").Output.Contains(":5201", StringComparison.Ordinal), s_timeout));
            string json = hosts.Host(0).Exec($"iperf3 -c {KernelVtep.HostBAddress} -t 2 -J{(reverse ? " -R" : "")}", 60_000);
            using var doc = JsonDocument.Parse(json);
            long bytes = doc.RootElement.GetProperty("end").GetProperty("sum_received").GetProperty("bytes").GetInt64();
            Assert.True(bytes > 1_000_000, $"TCP {(reverse ? "B -> A" : "A -> B")} moved only {bytes} bytes");
        }

        // Super-frames from the TAP were cut to the inner MTU before encapsulation: none dropped as over-mtu.
        PortCounters c = hosts.Bridge.ReadCounters()[port.Name]!;
        Assert.Equal(0, c.Dropped(DropReason.VxlanOverMtu));
        AssertAccounted(hosts.Bridge);
    }

    internal static VxlanPort OpenIn(KernelVtep kernel, bool ipv6) =>
        InNamespace.Run(kernel.UnderlayA.Name, () => VxlanPort.Open("vx0", new VxlanPortOptions
        {
            Vni = 42,
            Local = IPAddress.Parse(kernel.AddressA),
            Remotes = [IPAddress.Parse(kernel.AddressB)],
            UnderlayMtu = 1500,
        }));

    internal static void AssertAccounted(Bridge bridge)
    {
        // Counters are read while the last frames of a run may still be between receive and transmit: wait for quiet.
        EndToEnd.WaitFor(() => bridge.ReadCounters().Ports.All(c => c.RxFrames == c.Forwarded + c.IngressDrops && c.TxOffered == c.TxFrames + c.EgressDrops), s_timeout);
        foreach (PortCounters c in bridge.ReadCounters().Ports)
        {
            Assert.Equal(c.RxFrames, c.Forwarded + c.IngressDrops);
            Assert.Equal(c.TxOffered, c.TxFrames + c.EgressDrops);
        }
    }
}
