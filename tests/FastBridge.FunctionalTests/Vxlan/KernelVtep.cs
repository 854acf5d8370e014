using System.Security.Cryptography;
using FastBridge.Cli.Demo;

namespace FastBridge.Tests.Vxlan;

/// <summary>
/// Two "hosts" joined by a veth underlay: namespace <see cref="UnderlayA"/> holds FastBridge's VTEP address (the test
/// opens the VXLAN port's sockets there); namespace <see cref="B"/> runs the Linux kernel's VXLAN (<c>vx0</c>, VNI 42)
/// enslaved to a kernel bridge with a veth host (<see cref="HostB"/>, 198.18.0.2/24, MTU 1450) behind it.
/// IPv4 underlay 198.18.1.0/24 or IPv6 2001:2:0:1::/64. Everything unique and removed on Dispose.
/// </summary>
internal sealed class KernelVtep : IDisposable
{
    public const string HostBAddress = "198.18.0.2";

    private readonly List<NetworkNamespace> _namespaces = [];

    public KernelVtep(bool ipv6, int vni = 42)
    {
        string suffix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
        AddressA = ipv6 ? "2001:2:0:1::1" : "198.18.1.1";
        AddressB = ipv6 ? "2001:2:0:1::2" : "198.18.1.2";
        string prefix = ipv6 ? "/64 nodad" : "/24";
        UnderlayIfA = $"fvu{suffix}a";
        try
        {
            UnderlayA = New("fbvxa");
            B = New("fbvxb");
            HostB = New("fbvxh");
            UnderlayA.Exec($"ip link add {UnderlayIfA} type veth peer name fvu{suffix}b netns {B.Name}");
            UnderlayA.Exec($"ip addr add {AddressA}{prefix} dev {UnderlayIfA}");
            UnderlayA.Exec($"ip link set dev {UnderlayIfA} up");
            B.Exec($"ip addr add {AddressB}{prefix} dev fvu{suffix}b");
            B.Exec($"ip link set dev fvu{suffix}b up");
            B.Exec($"ip link add vx0 type vxlan id {vni} dstport 4789 local {AddressB} remote {AddressA} dev fvu{suffix}b");
            B.Exec("ip link add br0 type bridge");
            B.Exec("ip link set dev vx0 master br0");
            B.Exec($"ip link add fvh{suffix}a type veth peer name fvh{suffix}b netns {HostB.Name}");
            B.Exec($"ip link set dev fvh{suffix}a master br0");
            foreach (string dev in new[] { "vx0", "br0", $"fvh{suffix}a" })
            {
                B.Exec($"ip link set dev {dev} up");
            }

            HostBIf = $"fvh{suffix}b";
            HostB.Exec($"sysctl -qw net.ipv6.conf.{HostBIf}.disable_ipv6=1");
            HostB.Exec($"ip link set dev {HostBIf} mtu {(ipv6 ? 1430 : 1450)}");

            // A veth passes TCP checksums on as still to be filled (CHECKSUM_PARTIAL), and so does the kernel's VXLAN
            // into the underlay veth: the inner frame would reach FastBridge's socket with its checksum unfilled, which
            // no NIC lets happen on a wire. Host B fills its checksums itself, as behind a real NIC.
            HostB.Exec($"ethtool -K {HostBIf} tx off");
            HostB.Exec($"ip addr add {HostBAddress}/24 dev {HostBIf}");
            HostB.Exec($"ip link set dev {HostBIf} up");
            HostBMac = HostB.Exec($"cat /sys/class/net/{HostBIf}/address").Trim();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public NetworkNamespace UnderlayA { get; } = null!;

    public NetworkNamespace B { get; } = null!;

    public NetworkNamespace HostB { get; } = null!;

    public string UnderlayIfA { get; }

    public string HostBIf { get; } = "";

    public string HostBMac { get; } = "";

    public string AddressA { get; }

    public string AddressB { get; }

    private NetworkNamespace New(string prefix)
    {
        var ns = NetworkNamespace.Create(prefix);
        _namespaces.Add(ns);
        return ns;
    }

    public void Dispose()
    {
        foreach (NetworkNamespace ns in _namespaces)
        {
            ns.Dispose();
        }
    }
}
