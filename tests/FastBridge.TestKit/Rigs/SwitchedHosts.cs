using System.Security.Cryptography;
using FastBridge.Cli.Demo;
using FastBridge.Frames;
using FastBridge.Ports;

namespace FastBridge.Tests.Infrastructure;

/// <summary>
/// N hosts, each a network namespace whose only interface is the kernel side of a TAP device switched by an
/// in-process <see cref="FastBridge.Bridge"/>; host i has 198.18.0.(i+1)/24 and IPv6 off (no background chatter).
/// Every namespace and device is unique to this instance and removed on <see cref="Dispose"/>.
/// </summary>
internal sealed class SwitchedHosts : IDisposable
{
    private readonly List<NetworkNamespace> _namespaces = [];

    /// <param name="tapOptions">How host i's TAP is opened (default: <see cref="TapPortOptions.Default"/>).</param>
    /// <param name="openPort">Opens host i's TAP of the given name instead (e.g. adopting fds the test opened).</param>
    public SwitchedHosts(int hosts, Action<BridgeOptions>? configure = null, Func<int, TapPortOptions>? tapOptions = null,
        Func<int, string, TapPort>? openPort = null)
    {
        var options = new BridgeOptions { Workers = 2 };
        configure?.Invoke(options);
        Bridge = new Bridge(options);
        string suffix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
        Taps = new string[hosts];
        Ports = new TapPort[hosts];
        try
        {
            for (int i = 0; i < hosts; i++)
            {
                Taps[i] = $"fbe{suffix}{i}";
                var ns = NetworkNamespace.Create("fbe");
                _namespaces.Add(ns);
                Ports[i] = openPort?.Invoke(i, Taps[i]) ?? TapPort.Open(Taps[i], tapOptions?.Invoke(i));
                Bridge.AddPort(Ports[i]);
                ns.MoveIn(Taps[i]);
                ns.Exec($"sysctl -qw net.ipv6.conf.{Taps[i]}.disable_ipv6=1");
                ns.Exec($"ip addr add {Address(i)}/24 dev {Taps[i]}");
                ns.Exec($"ip link set dev {Taps[i]} up");
            }

            Bridge.Start();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public Bridge Bridge { get; }

    public string[] Taps { get; }

    public TapPort[] Ports { get; }

    public NetworkNamespace Host(int i) => _namespaces[i];

    public static string Address(int i) => $"198.18.0.{i + 1}";

    public MacAddress Mac(int i) => MacAddress.Parse(Host(i).Exec($"cat /sys/class/net/{Taps[i]}/address").Trim());

    public long Counter(int i, string counter) => Host(i).ReadCounter(Taps[i], counter);

    /// <summary>Pings host <paramref name="to"/> from host <paramref name="from"/>; true when answered.</summary>
    public bool Ping(int from, int to, int count = 1, int waitSeconds = 2) =>
        Host(from).TryExec($"ping -c {count} -i 0.1 -W {waitSeconds} {Address(to)}", 30_000).ExitCode == 0;

    public void Dispose()
    {
        Bridge.Dispose();
        foreach (NetworkNamespace ns in _namespaces)
        {
            ns.Dispose();
        }
    }
}
