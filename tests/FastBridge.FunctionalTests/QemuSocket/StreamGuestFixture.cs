using FastBridge.Cli.Demo;
using FastBridge.Tests.Guests;
using FastBridge.Tests.Infrastructure;
using FastBridge.Tests.VhostUser;

namespace FastBridge.Tests.QemuSocket;

/// <summary>
/// One QEMU guest (TCG) connected to FastBridge stream port <c>g0</c> with <c>-netdev stream,server=off</c> (FastBridge
/// listens, QEMU connects), and a host behind a FastBridge TAP in a fresh namespace (<see cref="HostAddress"/>/24).
/// Booted once per test class.
/// </summary>
public sealed class StreamGuestFixture : IDisposable
{
    public const string HostAddress = "198.18.78.1";
    public const string GuestAddress = "198.18.78.2";

    private QemuGuest? _guest;
    private SocketFolder? _folder;
    private NetworkNamespace? _namespace;
    private VhostSwitch? _switch;

    public StreamGuestFixture() => Boot = GuestBoot.Attempt(Start);

    internal GuestBoot Boot { get; }

    internal string Tap { get; private set; } = "";

    internal string GuestSocket { get; private set; } = "";

    internal SocketFolder Folder => _folder ?? throw new InvalidOperationException("not booted");

    internal NetworkNamespace Host => _namespace ?? throw new InvalidOperationException("not booted");

    internal VhostSwitch Switch => _switch ?? throw new InvalidOperationException("not booted");

    internal GuestImage Image => Boot.Image ?? throw new InvalidOperationException("not booted");

    internal QemuGuest Guest => _guest ?? throw new InvalidOperationException("not booted");

    /// <summary>Kills the guest's QEMU, waits until the switch has seen its peer go, then boots a new QEMU on the same
    /// socket (QEMU 7.2's stream netdev does not reconnect by itself: a new QEMU is what comes back).</summary>
    internal QemuGuest RestartGuest()
    {
        Guest.Kill();
        Assert.True(EndToEnd.WaitFor(() => Switch.PortEntry("g0").GetProperty("state").GetString() == "down", VhostSwitch.Timeout),
            Switch.Describe("port g0 did not go down when its QEMU was killed"));
        _guest = Guest.Restart();
        _guest.WaitReady();
        return _guest;
    }

    private void Start(GuestImage image)
    {
        _folder = new SocketFolder();
        Tap = $"fbsg{_folder.Suffix}";
        GuestSocket = _folder.Path("g0");
        _switch = new VhostSwitch($"--tap {Tap} --stream g0={GuestSocket}");
        _namespace = NetworkNamespace.Create("fbsg");
        _namespace.MoveIn(Tap);
        _namespace.Exec($"sysctl -qw net.ipv6.conf.{Tap}.disable_ipv6=1");
        _namespace.Exec($"ip addr add {HostAddress}/24 dev {Tap}");
        _namespace.Exec($"ip link set dev {Tap} up");
        Assert.True(EndToEnd.WaitFor(() => File.Exists(GuestSocket), VhostSwitch.Timeout), _switch.Describe("no stream socket"));
        _guest = QemuGuest.Start(image, new GuestOptions
        {
            Name = "stream0",
            Address = $"{GuestAddress}/24",
            Devices = [.. QemuArgs.Stream("n0", GuestSocket), .. QemuArgs.VirtioNet("n0", QemuArgs.RandomMac())],
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
