using FastBridge.Cli.Demo;
using FastBridge.Tests.Infrastructure;
using FastBridge.Tests.VhostUser;

namespace FastBridge.Tests.Guests;

/// <summary>
/// One QEMU guest (TCG) on FastBridge socket port <c>g0</c> (a <c>-netdev stream</c> or <c>-netdev dgram</c> over unix
/// sockets) and a host behind a FastBridge TAP in a fresh namespace (<see cref="HostAddress"/>/24). Booted once per
/// test class. The stream and dgram fixtures differ only in the switch's port option, QEMU's netdev and what the switch
/// needs to notice that a killed QEMU is gone; <see cref="SocketGuestTests{TFixture}"/> holds the tests they share.
/// </summary>
public abstract class SocketGuestFixture : IDisposable
{
    private readonly string _tapPrefix;
    private QemuGuest? _guest;
    private SocketFolder? _folder;
    private NetworkNamespace? _namespace;
    private VhostSwitch? _switch;

    /// <param name="kind">The port kind: the switch's option (<c>--stream</c>, <c>--dgram</c>) and <c>port list</c>'s kind.</param>
    /// <param name="tapPrefix">The TAP's and the namespace's name prefix (a random suffix follows).</param>
    /// <param name="subnet">The first three octets of the /24 (198.18.x) the host (.1) and the guest (.2) live in.</param>
    protected SocketGuestFixture(string kind, string tapPrefix, string subnet)
    {
        Kind = kind;
        _tapPrefix = tapPrefix;
        HostAddress = $"{subnet}.1";
        GuestAddress = $"{subnet}.2";
        Boot = GuestBoot.Attempt(Start);
    }

    internal string Kind { get; }

    internal string HostAddress { get; }

    internal string GuestAddress { get; }

    internal GuestBoot Boot { get; }

    internal string Tap { get; private set; } = "";

    /// <summary>The socket the switch creates for g0 (QEMU connects to it, or sends to it).</summary>
    internal string SwitchSocket { get; private set; } = "";

    /// <summary>The socket QEMU's netdev names as its own end (the switch's socket for a stream client).</summary>
    internal string GuestSocket { get; private set; } = "";

    internal SocketFolder Folder => _folder ?? throw new InvalidOperationException("not booted");

    internal NetworkNamespace Host => _namespace ?? throw new InvalidOperationException("not booted");

    internal VhostSwitch Switch => _switch ?? throw new InvalidOperationException("not booted");

    internal GuestImage Image => Boot.Image ?? throw new InvalidOperationException("not booted");

    internal QemuGuest Guest => _guest ?? throw new InvalidOperationException("not booted");

    /// <summary>Kills the guest's QEMU, waits until the switch has marked g0 down, then boots a new QEMU on the same paths.</summary>
    internal QemuGuest RestartGuest()
    {
        Guest.Kill();
        AfterGuestKilled();
        Assert.True(EndToEnd.WaitFor(() => Switch.PortEntry("g0").GetProperty("state").GetString() == "down", VhostSwitch.Timeout),
            Switch.Describe("port g0 did not go down when its QEMU was killed"));
        _guest = Guest.Restart();
        _guest.WaitReady();
        return _guest;
    }

    /// <summary>The socket QEMU's end uses, given the switch's (the same path for a stream client).</summary>
    private protected abstract string GuestSocketFor(SocketFolder folder, string switchSocket);

    /// <summary>QEMU's <c>-netdev</c> arguments for netdev <paramref name="id"/>.</summary>
    protected abstract IEnumerable<string> Netdev(string id);

    /// <summary>What makes the switch notice a killed QEMU, when its going alone does not (nothing by default).</summary>
    protected virtual void AfterGuestKilled()
    {
    }

    private void Start(GuestImage image)
    {
        _folder = new SocketFolder();
        Tap = $"{_tapPrefix}{_folder.Suffix}";
        SwitchSocket = _folder.Path("g0");
        GuestSocket = GuestSocketFor(_folder, SwitchSocket);
        _switch = new VhostSwitch($"--tap {Tap} --{Kind} g0={SwitchSocket}");
        _namespace = NetworkNamespace.Create(_tapPrefix);
        _namespace.MoveIn(Tap);
        _namespace.Exec($"sysctl -qw net.ipv6.conf.{Tap}.disable_ipv6=1");
        _namespace.Exec($"ip addr add {HostAddress}/24 dev {Tap}");
        _namespace.Exec($"ip link set dev {Tap} up");
        Assert.True(EndToEnd.WaitFor(() => File.Exists(SwitchSocket), VhostSwitch.Timeout), _switch.Describe($"no {Kind} socket"));
        _guest = QemuGuest.Start(image, new GuestOptions
        {
            Name = $"{Kind}0",
            Address = $"{GuestAddress}/24",
            Devices = [.. Netdev("n0"), .. QemuArgs.VirtioNet("n0", QemuArgs.RandomMac())],
        });
        _guest.WaitReady();
    }

    public void Dispose()
    {
        _guest?.Dispose();
        _switch?.Dispose();
        _namespace?.Dispose();
        _folder?.Dispose();
        GC.SuppressFinalize(this);
    }
}
