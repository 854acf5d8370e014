using FastBridge.Cli.Demo;
using FastBridge.Ports.Netdev;
using FastBridge.Tests.Guests;
using FastBridge.Tests.Hosts;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Netdev;

/// <summary>
/// A QEMU guest on a tap QEMU holds (<c>-netdev tap,ifname=NAME,script=no,downscript=no</c>, as under libvirt), the tap
/// attached to FastBridge with a netdev port, reaches a namespace host behind a TAP port of the same bridge.
/// </summary>
[Collection(nameof(EndToEndCollection))]
public sealed class NetdevGuestTests
{
    private const string GuestAddress = "198.18.0.21";

    [SkippableFact]
    public void A_guest_on_a_tap_qemu_holds_pings_a_tap_host_through_a_netdev_port()
    {
        using var hosts = new SwitchedHosts(1);
        string tap = QemuArgs.UniqueName("fbqn");
        QemuGuest? guest = null;
        GuestBoot boot = GuestBoot.Attempt(image =>
        {
            NetworkNamespace.Run("ip", $"tuntap add dev {tap} mode tap");
            NetworkNamespace.Run("sysctl", $"-qw net.ipv6.conf.{tap}.disable_ipv6=1");
            guest = QemuGuest.Start(image, new GuestOptions
            {
                Name = "netdev0",
                Address = $"{GuestAddress}/24",
                Devices = [.. QemuArgs.Tap("n0", tap), .. QemuArgs.VirtioNet("n0", QemuArgs.RandomMac())],
            });
            guest.WaitReady();
        });
        try
        {
            boot.Require();
            NetdevPort port = NetdevPort.Open(tap);
            hosts.Bridge.AddPort(port);

            (int code, string output) = guest!.Run($"ping -c 3 -W 5 {SwitchedHosts.Address(0)}");
            Assert.True(code == 0, guest.Describe($"the guest cannot ping the TAP host through the netdev port:\n{output}"));
            Assert.Equal(0, hosts.Host(0).TryExec($"ping -c 2 -W 5 {GuestAddress}").ExitCode);
            // The guest may still send (ARP refreshes): a snapshot can catch a burst between its counters, so wait
            // for one in which the identity holds.
            PortCounters? c = null;
            Assert.True(EndToEnd.WaitFor(() => (c = hosts.Bridge.ReadCounters()[port.Name]!).RxFrames == c.Forwarded + c.IngressDrops, TimeSpan.FromSeconds(10)),
                $"rx {c?.RxFrames} != forwarded {c?.Forwarded} + ingress drops {c?.IngressDrops}");
        }
        finally
        {
            guest?.Dispose();
            NetworkNamespace.TryRun("ip", $"link del {tap}");
        }
    }
}
