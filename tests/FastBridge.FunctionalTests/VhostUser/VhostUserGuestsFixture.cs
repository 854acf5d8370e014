using FastBridge.Cli.Demo;
using FastBridge.Tests.Guests;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.VhostUser;

/// <summary>
/// Two QEMU guests (TCG, shared memfd RAM, <c>vectors=0</c>) on FastBridge vhost-user ports <c>g0</c> and <c>g1</c>
/// (FastBridge listens, QEMU connects as libvirt's mode='client' does), and a host behind a FastBridge TAP in a fresh
/// namespace (<see cref="HostAddress"/>/24). Booted once per test class.
/// </summary>
public sealed class VhostUserGuestsFixture : IDisposable
{
    public const string HostAddress = "198.18.77.1";

    private readonly List<QemuGuest> _guests = [];
    private SocketFolder? _folder;
    private NetworkNamespace? _namespace;
    private VhostSwitch? _switch;

    public VhostUserGuestsFixture() => Boot = GuestBoot.Attempt(Start);

    internal GuestBoot Boot { get; }

    internal string Tap { get; private set; } = "";

    internal NetworkNamespace Host => _namespace ?? throw new InvalidOperationException("not booted");

    internal VhostSwitch Switch => _switch ?? throw new InvalidOperationException("not booted");

    internal GuestImage Image => Boot.Image ?? throw new InvalidOperationException("not booted");

    internal QemuGuest Guest(int i) => _guests[i];

    public static string GuestAddress(int i) => $"198.18.77.{i + 2}";

    /// <summary>Call first in every test: skips while the port kind is not built, then as <see cref="GuestBoot.Require"/>.</summary>
    internal void Require()
    {
        RigStart.RequirePortKind();
        Boot.Require();
    }

    /// <summary>Kills guest <paramref name="i"/>'s QEMU and boots a new one on the same socket.</summary>
    internal QemuGuest RestartGuest(int i)
    {
        _guests[i] = _guests[i].Restart();
        _guests[i].WaitReady();
        return _guests[i];
    }

    private void Start(GuestImage image)
    {
        if (RigStart.PortKindMissing is not null)
        {
            return;
        }

        _folder = new SocketFolder();
        Tap = $"fbvg{_folder.Suffix}";
        string[] sockets = [_folder.Path("g0"), _folder.Path("g1")];
        _switch = new VhostSwitch($"--tap {Tap} --vhost-user g0={sockets[0]} --vhost-user g1={sockets[1]}");
        _namespace = NetworkNamespace.Create("fbvg");
        _namespace.MoveIn(Tap);
        _namespace.Exec($"sysctl -qw net.ipv6.conf.{Tap}.disable_ipv6=1");
        _namespace.Exec($"ip addr add {HostAddress}/24 dev {Tap}");
        _namespace.Exec($"ip link set dev {Tap} up");
        Assert.True(EndToEnd.WaitFor(() => sockets.All(File.Exists), VhostSwitch.Timeout), _switch.Describe("no vhost-user sockets"));
        for (int i = 0; i < 2; i++)
        {
            _guests.Add(QemuGuest.Start(image, new GuestOptions
            {
                Name = $"vhost{i}",
                SharedMemory = true,
                Address = $"{GuestAddress(i)}/24",
                Devices = [.. QemuArgs.VhostUser("n0", sockets[i]), .. QemuArgs.VirtioNet("n0", QemuArgs.RandomMac())],
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

        _switch?.Dispose();
        _namespace?.Dispose();
        _folder?.Dispose();
    }
}
