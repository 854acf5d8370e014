using FastBridge.Cli.Demo;

namespace FastBridge.Tests.Guests;

/// <summary>
/// Two QEMU guests, each on a tap QEMU holds (<c>-netdev tap,ifname=..,script=no</c>, as under libvirt), the taps
/// bridged by the kernel inside one fresh network namespace whose bridge has <see cref="HostAddress"/>/24: the
/// proof that the guest rig works with what exists today. Booted once per test class (an xunit class fixture).
/// </summary>
public sealed class TapGuestsFixture : IDisposable
{
    public const string HostAddress = "198.18.66.1";

    private readonly List<QemuGuest> _guests = [];
    private NetworkNamespace? _namespace;

    public TapGuestsFixture() => Boot = GuestBoot.Attempt(Start);

    internal GuestBoot Boot { get; }

    internal NetworkNamespace Namespace => _namespace ?? throw new InvalidOperationException("not booted");

    internal GuestImage Image => Boot.Image ?? throw new InvalidOperationException("not booted");

    internal QemuGuest Guest(int i) => _guests[i];

    public static string GuestAddress(int i) => $"198.18.66.{i + 2}";

    /// <summary>Kills guest <paramref name="i"/>'s QEMU and boots a new one on the same tap.</summary>
    internal QemuGuest RestartGuest(int i)
    {
        _guests[i] = _guests[i].Restart();
        _guests[i].WaitReady();
        return _guests[i];
    }

    private void Start(GuestImage image)
    {
        _namespace = NetworkNamespace.Create("fbq");
        string bridge = QemuArgs.UniqueName("fbqbr");
        _namespace.Exec("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1");
        _namespace.Exec($"ip link add {bridge} type bridge forward_delay 0");
        _namespace.Exec($"ip addr add {HostAddress}/24 dev {bridge}");
        _namespace.Exec($"ip link set dev {bridge} up");
        for (int i = 0; i < 2; i++)
        {
            string tap = QemuArgs.UniqueName("fbqt");
            _namespace.Exec($"ip tuntap add dev {tap} mode tap");
            _namespace.Exec($"ip link set dev {tap} master {bridge} up");
            _guests.Add(QemuGuest.Start(image, new GuestOptions
            {
                Name = $"tap{i}",
                NetworkNamespace = _namespace.Name,
                Address = $"{GuestAddress(i)}/24",
                Devices = [.. QemuArgs.Tap("n0", tap), .. QemuArgs.VirtioNet("n0", QemuArgs.RandomMac())],
            }));
        }

        foreach (QemuGuest guest in _guests)
        {
            guest.WaitReady();
        }
    }

    public void Dispose()
    {
        foreach (QemuGuest guest in _guests)
        {
            guest.Dispose();
        }

        _namespace?.Dispose();
    }
}
