using System.Security.Cryptography;
using FastBridge.Cli.Demo;

namespace FastBridge.Tests.Infrastructure;

/// <summary>
/// A host behind a veth pair, as a container is: the host side (<see cref="HostSide"/>) in a network namespace of its
/// own with an address, the switch side (<see cref="SwitchSide"/>) left in the test process's namespace, down and
/// without IPv6, for a netdev port to attach. Both names are unique (random suffix); <see cref="Dispose"/> deletes
/// the pair and the namespace.
/// </summary>
internal sealed class VethHost : IDisposable
{
    private int _disposed;

    private VethHost(string switchSide, string hostSide, NetworkNamespace ns, string address)
    {
        SwitchSide = switchSide;
        HostSide = hostSide;
        Namespace = ns;
        Address = address;
    }

    public string SwitchSide { get; }

    public string HostSide { get; }

    public NetworkNamespace Namespace { get; }

    public string Address { get; }

    /// <summary>
    /// Creates the pair and the namespace; <paramref name="address"/> goes on the host side (/24). With
    /// <paramref name="completeFrames"/> the host side sends only complete frames (<c>ethtool -K tx off</c>: checksums
    /// filled, no TSO super-frames), as an AF_PACKET port without offloads needs.
    /// </summary>
    public static VethHost Create(string address, bool completeFrames = true, string? names = null)
    {
        string suffix = names ?? Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        string switchSide = $"fbv{suffix}";
        string hostSide = $"fbw{suffix}";
        NetworkNamespace ns = NetworkNamespace.Create("fbn");
        var host = new VethHost(switchSide, hostSide, ns, address);
        try
        {
            host.CreatePair(completeFrames);
        }
        catch
        {
            host.Dispose();
            throw;
        }

        return host;
    }

    /// <summary>Makes the pair again under the same names (after <see cref="DeletePair"/>), the host side set up as before.</summary>
    public void CreatePair(bool completeFrames = true)
    {
        NetworkNamespace.Run("ip", $"link add {SwitchSide} type veth peer name {HostSide}");
        NetworkNamespace.Run("sysctl", $"-qw net.ipv6.conf.{SwitchSide}.disable_ipv6=1");
        Namespace.MoveIn(HostSide);
        Namespace.Exec($"sysctl -qw net.ipv6.conf.{HostSide}.disable_ipv6=1");
        Namespace.Exec($"ip addr add {Address}/24 dev {HostSide}");
        if (completeFrames)
        {
            Namespace.Exec($"ethtool -K {HostSide} tx off");
        }

        Namespace.Exec($"ip link set dev {HostSide} up");
    }

    /// <summary>Deletes the pair (both ends go), leaving the namespace.</summary>
    public void DeletePair() => NetworkNamespace.TryRun("ip", $"link del {SwitchSide}");

    public long Counter(string counter) => Namespace.ReadCounter(HostSide, counter);

    public string Mac => Namespace.Exec($"cat /sys/class/net/{HostSide}/address").Trim();

    public bool Ping(string address, int count = 1, int waitSeconds = 2) =>
        Namespace.TryExec($"ping -c {count} -i 0.1 -W {waitSeconds} {address}", 30_000).ExitCode == 0;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            DeletePair();
            Namespace.Dispose();
        }
    }
}
