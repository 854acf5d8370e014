using System.Net;
using System.Security.Cryptography;
using FastBridge.Cli.Demo;
using FastBridge.Ports.Vxlan;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Vxlan;

/// <summary>
/// N FastBridge "hosts", each an in-process bridge with a TAP host (198.18.0.(10+i)/24, MTU 1450) and a VXLAN port
/// (VNI 42) whose sockets live in its own underlay namespace (198.18.1.(i+1)/24), every underlay joined by a veth to a
/// kernel bridge in a fabric namespace; each port has every other host as a remote. Unique names, removed on Dispose.
/// </summary>
internal sealed class VxlanTriangle : IDisposable
{
    private readonly List<NetworkNamespace> _namespaces = [];
    private readonly string _suffix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));

    public VxlanTriangle(int count, Action<BridgeOptions>? configure = null, Func<int, VxlanPortOptions, VxlanPortOptions>? adjust = null)
    {
        Hosts = new SwitchedHosts[count];
        Underlays = new NetworkNamespace[count];
        Ports = new VxlanPort[count];
        try
        {
            Fabric = New("fbvxf");
            Fabric.Exec("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1"); // no IPv6 chatter on the underlay
            Fabric.Exec("ip link add fabric type bridge");
            Fabric.Exec("ip link set dev fabric up");
            for (int i = 0; i < count; i++)
            {
                Underlays[i] = New("fbvxu");
                Underlays[i].Exec("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1");
                Fabric.Exec($"ip link add {FabricIf(i)} type veth peer name {UnderlayIf(i)} netns {Underlays[i].Name}");
                Fabric.Exec($"ip link set dev {FabricIf(i)} master fabric");
                Fabric.Exec($"ip link set dev {FabricIf(i)} up");
                Underlays[i].Exec($"sysctl -qw net.ipv6.conf.{UnderlayIf(i)}.disable_ipv6=1");
                Underlays[i].Exec($"ip addr add {UnderlayAddress(i)}/24 dev {UnderlayIf(i)}");
                Underlays[i].Exec($"ip link set dev {UnderlayIf(i)} up");
            }

            for (int i = 0; i < count; i++)
            {
                Hosts[i] = new SwitchedHosts(1, configure);
                NetworkNamespace host = Hosts[i].Host(0);
                string tap = Hosts[i].Taps[0];
                host.Exec($"ip addr flush dev {tap}");
                host.Exec($"ip addr add {HostAddress(i)}/24 dev {tap}");
                host.Exec($"ip link set dev {tap} mtu 1450");
                int me = i;
                var options = new VxlanPortOptions
                {
                    Vni = 42,
                    Local = IPAddress.Parse(UnderlayAddress(i)),
                    Remotes = [.. Enumerable.Range(0, count).Where(j => j != me).Select(j => IPAddress.Parse(UnderlayAddress(j)))],
                    UnderlayMtu = 1500,
                };
                options = adjust?.Invoke(i, options) ?? options;
                Ports[i] = InNamespace.Run(Underlays[i].Name, () => VxlanPort.Open("vx0", options));
                Hosts[i].Bridge.AddPort(Ports[i]);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public NetworkNamespace Fabric { get; } = null!;

    public SwitchedHosts[] Hosts { get; }

    public NetworkNamespace[] Underlays { get; }

    public VxlanPort[] Ports { get; }

    public static string HostAddress(int i) => $"198.18.0.{10 + i}";

    public static string UnderlayAddress(int i) => $"198.18.1.{i + 1}";

    public string UnderlayIf(int i) => $"fvt{_suffix}{i}u";

    public string FabricIf(int i) => $"fvt{_suffix}{i}f";

    /// <summary>Packets host i's underlay interface received (as seen in its namespace).</summary>
    public long UnderlayReceived(int i) => Underlays[i].ReadCounter(UnderlayIf(i), "rx_packets");

    public bool Ping(int from, int to, int count = 1, string interval = "0.1") =>
        Hosts[from].Host(0).TryExec($"ping -c {count} -i {interval} -W 2 {HostAddress(to)}").ExitCode == 0;

    public long SentTo(int from, int to) =>
        Ports[from].RemoteInfo().Single(r => r.Address.Equals(IPAddress.Parse(UnderlayAddress(to)))).DatagramsSent;

    public long ReceivedFrom(int at, int from) =>
        Ports[at].RemoteInfo().Single(r => r.Address.Equals(IPAddress.Parse(UnderlayAddress(from)))).DatagramsReceived;

    private NetworkNamespace New(string prefix)
    {
        var ns = NetworkNamespace.Create(prefix);
        _namespaces.Add(ns);
        return ns;
    }

    public void Dispose()
    {
        foreach (SwitchedHosts? hosts in Hosts)
        {
            hosts?.Dispose();
        }

        foreach (NetworkNamespace ns in _namespaces)
        {
            ns.Dispose();
        }
    }
}
