using System.Net;
using System.Security.Cryptography;
using FastBridge.Buffers;
using FastBridge.Cli.Demo;
using FastBridge.Diagnostics;
using FastBridge.Ports;

namespace FastBridge.Tests.Infrastructure;

/// <summary>
/// A <see cref="TapPort"/> whose kernel side sits in a fresh namespace with 198.18.N.1/24, up, IPv6 off (no router
/// solicitations in the way). The switch side "owns" 198.18.N.2 with <see cref="SwitchMac"/>.
/// </summary>
internal sealed class TapRig : IDisposable
{
    private TapRig(string name, TapPort port, NetworkNamespace ns, PacketPool pool, int subnet)
    {
        Name = name;
        Port = port;
        Namespace = ns;
        Pool = pool;
        NamespaceAddress = IPAddress.Parse($"198.18.{subnet}.1");
        SwitchAddress = IPAddress.Parse($"198.18.{subnet}.2");
    }

    public string Name { get; }

    public TapPort Port { get; }

    public NetworkNamespace Namespace { get; }

    public PacketPool Pool { get; }

    public IPAddress NamespaceAddress { get; }

    public IPAddress SwitchAddress { get; }

    public byte[] SwitchMac { get; } = Stations.Bytes(2);

    public static string UniqueName() => "fbt" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));

    public static TapRig Create(int mtu = 1500, int largeBuffers = 8)
    {
        string name = UniqueName();
        int subnet = RandomNumberGenerator.GetInt32(0, 256);
        var pool = new PacketPool(1024, largeBuffers);
        TapPort? port = null;
        NetworkNamespace? ns = null;
        try
        {
            port = TapPort.Open(name);
            ns = NetworkNamespace.Create("fbt");
            ns.MoveIn(name);
            ns.Exec($"sysctl -qw net.ipv6.conf.{name}.disable_ipv6=1");
            ns.Exec($"ip link set dev {name} mtu {mtu}");
            ns.Exec($"ip addr add 198.18.{subnet}.1/24 dev {name}");
            ns.Exec($"ip link set dev {name} up");
            return new TapRig(name, port, ns, pool, subnet);
        }
        catch
        {
            port?.Dispose();
            ns?.Dispose();
            pool.Dispose();
            throw;
        }
    }

    /// <summary>MAC of the namespace side of the TAP.</summary>
    public string NamespaceMac => Namespace.Exec($"cat /sys/class/net/{Name}/address").Trim();

    public long Counter(string counter) => Namespace.ReadCounter(Name, counter);

    /// <summary>Rents a buffer, copies <paramref name="frame"/> into it and transmits it; returns the outcome.</summary>
    public DropReason Send(byte[] frame)
    {
        Assert.True(Pool.TryRentCopy(frame, out Packet packet));
        try
        {
            Span<DropReason> outcome = stackalloc DropReason[1];
            Port.Transmit([packet], outcome);
            return outcome[0];
        }
        finally
        {
            packet.Release();
        }
    }

    /// <summary>Receives until a frame matches <paramref name="match"/> or the timeout passes; returns a copy of it (null on timeout).</summary>
    public byte[]? ReceiveUntil(Func<Packet, bool> match, TimeSpan timeout, Action<Packet>? inspect = null)
    {
        byte[]? found = null;
        var burst = new Packet[32];
        EndToEnd.WaitFor(
            () =>
            {
                int count = Port.Receive(Pool, burst);
                for (int i = 0; i < count; i++)
                {
                    if (found is null && match(burst[i]))
                    {
                        inspect?.Invoke(burst[i]);
                        found = burst[i].Span.ToArray();
                    }

                    burst[i].Release();
                }

                return found is not null;
            },
            timeout);
        return found;
    }

    public void Dispose()
    {
        Port.Dispose();
        Namespace.Dispose();
        Pool.Dispose();
    }
}
