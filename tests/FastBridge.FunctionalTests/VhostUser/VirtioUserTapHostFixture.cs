using FastBridge.Cli.Demo;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.VhostUser;

/// <summary>
/// FastBridge with one vhost-user port (<c>vu0</c>, FastBridge listening) and one TAP whose kernel side is a host in a
/// fresh network namespace (<see cref="HostAddress"/>/24, IPv6 off, so it sends nothing unasked); dpdk-testpmd's
/// virtio-user port is the frontend on vu0, in macswap mode (it returns every frame to its sender) and stopped until a
/// test starts it. Started once per test class.
/// </summary>
public sealed class VirtioUserTapHostFixture : IDisposable
{
    public const string HostAddress = "198.18.74.1";
    public const string TestpmdMac = "02:00:00:74:00:01";

    private SocketFolder? _folder;
    private NetworkNamespace? _namespace;
    private VhostSwitch? _switch;
    private Testpmd? _testpmd;

    public VirtioUserTapHostFixture() => Start = RigStart.Attempt(StartRig);

    internal RigStart Start { get; }

    internal string Tap { get; private set; } = "";

    internal string HostMac { get; private set; } = "";

    internal NetworkNamespace Host => _namespace ?? throw new InvalidOperationException("not started");

    internal VhostSwitch Switch => _switch ?? throw new InvalidOperationException("not started");

    internal Testpmd Testpmd => _testpmd ?? throw new InvalidOperationException("not started");

    internal long HostCounter(string counter) => Host.ReadCounter(Tap, counter);

    private void StartRig()
    {
        _folder = new SocketFolder();
        Tap = $"fbvt{_folder.Suffix}";
        string socket = _folder.Path("vu0");
        _switch = new VhostSwitch($"--tap {Tap} --vhost-user vu0={socket}");
        _namespace = NetworkNamespace.Create("fbvu");
        _namespace.MoveIn(Tap);
        _namespace.Exec($"sysctl -qw net.ipv6.conf.{Tap}.disable_ipv6=1");
        _namespace.Exec($"ip addr add {HostAddress}/24 dev {Tap}");
        _namespace.Exec($"ip link set dev {Tap} up");
        HostMac = _namespace.Exec($"cat /sys/class/net/{Tap}/address").Trim();
        Assert.True(EndToEnd.WaitFor(() => File.Exists(socket), VhostSwitch.Timeout), _switch.Describe($"no socket {socket}"));
        _testpmd = Testpmd.Run(new TestpmdOptions
        {
            Vdevs = [Testpmd.VirtioUser(0, socket, TestpmdMac)],
            ForwardMode = "macswap",
            EthPeers = [HostMac],
        });
    }

    public void Dispose()
    {
        _testpmd?.Dispose();
        _switch?.Dispose();
        _namespace?.Dispose();
        _folder?.Dispose();
    }
}
