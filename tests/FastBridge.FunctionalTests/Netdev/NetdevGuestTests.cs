using FastBridge.Cli.Demo;
using FastBridge.Ports.Netdev;
using FastBridge.Tests.Guests;
using FastBridge.Tests.Hosts;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Netdev;

/// <summary>
/// Two QEMU guests, each on a tap QEMU holds (<c>-netdev tap,ifname=NAME,script=no,downscript=no</c>, as under
/// libvirt), both taps attached to FastBridge with netdev ports: a guest reaches a namespace host behind a TAP port of
/// the same bridge, and the other guest (netdev port to netdev port).
/// </summary>
[Collection(nameof(EndToEndCollection))]
public sealed class NetdevGuestTests
{
    private static string GuestAddress(int i) => $"198.18.0.{21 + i}";

    [SkippableFact]
    public void Guests_on_taps_qemu_holds_ping_a_tap_host_and_each_other_through_netdev_ports()
    {
        using var hosts = new SwitchedHosts(1);
        string[] taps = [QemuArgs.UniqueName("fbqn"), QemuArgs.UniqueName("fbqn")];
        var guests = new List<QemuGuest>();
        GuestBoot boot = GuestBoot.Attempt(image =>
        {
            for (int i = 0; i < taps.Length; i++)
            {
                NetworkNamespace.Run("ip", $"tuntap add dev {taps[i]} mode tap");
                NetworkNamespace.Run("sysctl", $"-qw net.ipv6.conf.{taps[i]}.disable_ipv6=1");
                guests.Add(QemuGuest.Start(image, new GuestOptions
                {
                    Name = $"netdev{i}",
                    Address = $"{GuestAddress(i)}/24",
                    Devices = [.. QemuArgs.Tap("n0", taps[i]), .. QemuArgs.VirtioNet("n0", QemuArgs.RandomMac())],
                }));
            }

            foreach (QemuGuest guest in guests)
            {
                guest.WaitReady();
            }
        });
        try
        {
            boot.Require();
            NetdevPort[] ports = [.. taps.Select(tap => NetdevPort.Open(tap))];
            foreach (NetdevPort port in ports)
            {
                hosts.Bridge.AddPort(port);
            }

            QemuGuest guest = guests[0];
            (int code, string output) = guest.Run($"ping -c 3 -W 5 {SwitchedHosts.Address(0)}");
            Assert.True(code == 0, guest.Describe($"the guest cannot ping the TAP host through the netdev port:\n{output}"));
            Assert.Equal(0, hosts.Host(0).TryExec($"ping -c 2 -W 5 {GuestAddress(0)}").ExitCode);
            (code, output) = guest.Run($"ping -c 3 -W 5 {GuestAddress(1)}");
            Assert.True(code == 0, guest.Describe($"the guest cannot ping the other guest (netdev port to netdev port):\n{output}"));

            // The guests may still send (ARP refreshes): a snapshot can catch a burst between its counters, so wait
            // for one in which the identity holds.
            foreach (NetdevPort port in ports)
            {
                PortCounters? c = null;
                Assert.True(EndToEnd.WaitFor(() => (c = hosts.Bridge.ReadCounters()[port.Name]!).RxFrames == c.Forwarded + c.IngressDrops, TimeSpan.FromSeconds(10)),
                    $"{port.Name}: rx {c?.RxFrames} != forwarded {c?.Forwarded} + ingress drops {c?.IngressDrops}");
            }
        }
        finally
        {
            foreach (QemuGuest guest in guests)
            {
                guest.Dispose();
            }

            foreach (string tap in taps)
            {
                NetworkNamespace.TryRun("ip", $"link del {tap}");
            }
        }
    }
}
