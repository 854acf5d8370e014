using System.Security.Cryptography;
using FastBridge.Cli.Demo;
using FastBridge.Tests.Hosts;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Vxlan;

/// <summary>
/// The VXLAN port through the command line, against the kernel's VXLAN: <c>fastbridge run --tap T --vxlan
/// vx0:vni=42,local=A,remote=B</c> started inside underlay namespace A; <c>port list</c> shows the tunnel, <c>fdb
/// show</c> shows host B behind B's VTEP, <c>fdb add MAC vx0 --remote ADDR</c> adds a static remote entry and
/// <c>port add NAME --vxlan ...</c> adds a second tunnel.
/// </summary>
[Collection(nameof(EndToEndCollection))]
public sealed class VxlanCliTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    [SkippableFact]
    public void Run_with_a_vxlan_port_talks_to_the_kernel_and_shows_the_remotes()
    {
        EndToEnd.RequirePrivileges();
        using var kernel = new KernelVtep(ipv6: false);
        using NetworkNamespace hostA = NetworkNamespace.Create("fbvxc");
        string tap = $"fvc{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";
        string socket = ControlRig.UniqueSocketPath();
        using CliProcess sw = CliProcess.Start(
            $"run --tap {tap} --vxlan vx0:vni=42,local={kernel.AddressA},remote={kernel.AddressB} --control {socket} --workers 1",
            wrapper: $"ip netns exec {kernel.UnderlayA.Name}");
        try
        {
            Assert.True(EndToEnd.WaitFor(() => sw.Stderr.Contains("started", StringComparison.Ordinal) || sw.HasExited, s_timeout), "fastbridge run did not start");
            Assert.False(sw.HasExited, sw.Stderr);
            kernel.UnderlayA.Exec($"ip link set dev {tap} netns {hostA.Name}");
            hostA.Exec($"sysctl -qw net.ipv6.conf.{tap}.disable_ipv6=1");
            hostA.Exec($"ip addr add 198.18.0.1/24 dev {tap}");
            hostA.Exec($"ip link set dev {tap} mtu 1450");
            hostA.Exec($"ip link set dev {tap} up");

            CliProcess list = Cli($"port list --control {socket}");
            Assert.Contains($"vni=42,local={kernel.AddressA},remote={kernel.AddressB}", list.Stdout, StringComparison.Ordinal);
            Assert.Contains("vxlan", list.Stdout, StringComparison.Ordinal);

            Assert.Equal(0, hostA.TryExec($"ping -c 3 -i 0.2 -W 2 {KernelVtep.HostBAddress}").ExitCode);
            string line = FdbLine(socket, kernel.HostBMac);
            Assert.Contains("vx0", line, StringComparison.Ordinal);
            Assert.Contains(kernel.AddressB, line, StringComparison.Ordinal);

            CliProcess add = Cli($"fdb add 02:00:00:00:77:01 vx0 --remote 198.18.1.77 --control {socket}");
            Assert.True(add.ExitCode == 0, add.Stderr);
            Assert.True(EndToEnd.WaitFor(() => FdbLine(socket, "02:00:00:00:77:01").Contains("198.18.1.77", StringComparison.Ordinal), s_timeout),
                Cli($"fdb show --control {socket}").Stdout);
            Assert.Contains("static", FdbLine(socket, "02:00:00:00:77:01"), StringComparison.Ordinal);

            CliProcess refused = Cli($"fdb add 02:00:00:00:77:02 vx0 --remote not-an-address --control {socket}");
            Assert.NotEqual(0, refused.ExitCode);

            CliProcess second = Cli($"port add vx1 --vxlan --vni 43 --local {kernel.AddressA} --remote 198.18.1.9 --dstport 4790 --control {socket}");
            Assert.True(second.ExitCode == 0, second.Stderr);
            Assert.Contains("vni=43", Cli($"port list --control {socket}").Stdout, StringComparison.Ordinal);
            Assert.NotEqual(0, Cli($"port add vx2 --vxlan --vni 44 --control {socket}").ExitCode); // no --local
        }
        finally
        {
            sw.Signal("TERM");
            sw.WaitForExit(s_timeout);
        }
    }

    private static CliProcess Cli(string arguments) => CliProcess.Run(arguments, s_timeout);

    private static string FdbLine(string socket, string mac) =>
        Cli($"fdb show --control {socket}").Stdout.Split('\n').FirstOrDefault(l => l.Contains(mac, StringComparison.OrdinalIgnoreCase)) ?? "";
}
