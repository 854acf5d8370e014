using FastBridge.Cli.Demo;
using FastBridge.Tests.Guests;
using FastBridge.Tests.Infrastructure;
using FastBridge.Tests.VhostUser;

namespace FastBridge.Tests.QemuDgram;

/// <summary>
/// One QEMU guest (TCG) on FastBridge dgram port <c>g0</c> with <c>-netdev dgram</c> over unix sockets (FastBridge binds
/// the switch's path, QEMU its own and sends there), and a host behind a FastBridge TAP in a fresh namespace
/// (<see cref="HostAddress"/>/24). Booted once per test class.
/// </summary>
public sealed class DgramGuestFixture : IDisposable
{
    public const string HostAddress = "198.18.79.1";
    public const string GuestAddress = "198.18.79.2";

    private QemuGuest? _guest;
    private SocketFolder? _folder;
    private NetworkNamespace? _namespace;
    private VhostSwitch? _switch;

    public DgramGuestFixture() => Boot = GuestBoot.Attempt(Start);

    internal GuestBoot Boot { get; }

    internal string Tap { get; private set; } = "";

    /// <summary>The switch's socket (QEMU's remote.path).</summary>
    internal string SwitchSocket { get; private set; } = "";

    /// <summary>QEMU's own socket (its local.path).</summary>
    internal string GuestSocket { get; private set; } = "";

    internal SocketFolder Folder => _folder ?? throw new InvalidOperationException("not booted");

    internal NetworkNamespace Host => _namespace ?? throw new InvalidOperationException("not booted");

    internal VhostSwitch Switch => _switch ?? throw new InvalidOperationException("not booted");

    internal GuestImage Image => Boot.Image ?? throw new InvalidOperationException("not booted");

    internal QemuGuest Guest => _guest ?? throw new InvalidOperationException("not booted");

    /// <summary>
    /// Kills the guest's QEMU; the host pings the guest so that the switch sends towards g0 and finds the peer gone (an
    /// exiting QEMU leaves its socket file: ECONNREFUSED) and the port goes down; then boots a new QEMU on the same paths.
    /// </summary>
    internal QemuGuest RestartGuest()
    {
        Guest.Kill();
        Host.TryExec($"ping -c 3 -W 1 {GuestAddress}");
        Assert.True(EndToEnd.WaitFor(() => Switch.PortEntry("g0").GetProperty("state").GetString() == "down", VhostSwitch.Timeout),
            Switch.Describe("port g0 did not go down when its QEMU was killed"));
        _guest = Guest.Restart();
        _guest.WaitReady();
        return _guest;
    }

    private void Start(GuestImage image)
    {
        _folder = new SocketFolder();
        Tap = $"fbdg{_folder.Suffix}";
        SwitchSocket = _folder.Path("g0");
        GuestSocket = _folder.Path("guest0");
        _switch = new VhostSwitch($"--tap {Tap} --dgram g0={SwitchSocket}");
        _namespace = NetworkNamespace.Create("fbdg");
        _namespace.MoveIn(Tap);
        _namespace.Exec($"sysctl -qw net.ipv6.conf.{Tap}.disable_ipv6=1");
        _namespace.Exec($"ip addr add {HostAddress}/24 dev {Tap}");
        _namespace.Exec($"ip link set dev {Tap} up");
        Assert.True(EndToEnd.WaitFor(() => File.Exists(SwitchSocket), VhostSwitch.Timeout), _switch.Describe("no dgram socket"));
        _guest = QemuGuest.Start(image, new GuestOptions
        {
            Name = "dgram0",
            Address = $"{GuestAddress}/24",
            Devices = [.. QemuArgs.Dgram("n0", GuestSocket, SwitchSocket), .. QemuArgs.VirtioNet("n0", QemuArgs.RandomMac())],
        });
        _guest.WaitReady();
    }

    public void Dispose()
    {
        _guest?.Dispose();
        _switch?.Dispose();
        _namespace?.Dispose();
        _folder?.Dispose();
    }
}
