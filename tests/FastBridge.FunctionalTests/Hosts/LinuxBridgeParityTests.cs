using System.Security.Cryptography;
using FastBridge.Cli.Demo;
using FastBridge.Ports;
using FastBridge.Switching;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Hosts;

/// <summary>
/// Isolation and hairpin behave as the Linux bridge's: the same hosts, wired once to a kernel bridge (in a namespace of
/// its own, <c>bridge link set dev X isolated on</c> / <c>hairpin on</c>) and once to FastBridge (TAP ports with the
/// same flags), reach exactly the same peers.
/// </summary>
/// <remarks>
/// Ports 0 and 1 (hosts x, y) are isolated, port 2 (host z) is not, port 3 leads to a VEPA-like host: a Linux bridge
/// inside namespace H whose two stations A and B sit on isolated ports with learning off, so every frame between A and
/// B must leave by H's uplink and come back: A reaches B only when the switch's port 3 is in hairpin mode.
/// Addresses 198.19.77.0/24, every namespace removed at the end.
/// </remarks>
[Collection(nameof(EndToEndCollection))]
public sealed class LinuxBridgeParityTests
{
    private static readonly (string From, string To)[] s_pairs = [("x", "y"), ("x", "z"), ("y", "z"), ("A", "B"), ("A", "z"), ("B", "x")];

    private static readonly Dictionary<string, string> s_address = new()
    {
        ["x"] = "198.19.77.1",
        ["y"] = "198.19.77.2",
        ["z"] = "198.19.77.3",
        ["A"] = "198.19.77.4",
        ["B"] = "198.19.77.5",
    };

    [SkippableFact]
    public void Isolated_and_hairpin_ports_give_the_same_reachability_as_the_kernel_bridge()
    {
        EndToEnd.RequirePrivileges();
        Dictionary<string, bool> kernelOn, kernelOff, ours, oursOff;
        using (var kernel = new KernelBridgeWiring())
        {
            kernel.Hairpin(true);
            kernelOn = Reachability(kernel.Hosts);
            kernel.Hairpin(false);
            kernelOff = Reachability(kernel.Hosts, [("A", "B")]);
        }

        using (var fast = new FastBridgeWiring())
        {
            fast.Hairpin(true);
            ours = Reachability(fast.Hosts);
            fast.Hairpin(false);
            oursOff = Reachability(fast.Hosts, [("A", "B")]);
        }

        // The scenario means something on the kernel bridge itself...
        Assert.Equal(new Dictionary<string, bool>
        {
            ["x>y"] = false,
            ["x>z"] = true,
            ["y>z"] = true,
            ["A>B"] = true,
            ["A>z"] = true,
            ["B>x"] = true,
        }, kernelOn);
        Assert.False(kernelOff["A>B"]);

        // ...and FastBridge agrees with it pair for pair.
        Assert.Equal(kernelOn, ours);
        Assert.Equal(kernelOff, oursOff);
    }

    private static Dictionary<string, bool> Reachability(Dictionary<string, NetworkNamespace> hosts, (string From, string To)[]? pairs = null)
    {
        var reached = new Dictionary<string, bool>();
        foreach ((string from, string to) in pairs ?? s_pairs)
        {
            // Up to three tries for a pair that should work (the first ARP may race the wiring); a blocked one fails all.
            bool ok = false;
            for (int attempt = 0; attempt < 3 && !ok; attempt++)
            {
                ok = hosts[from].TryExec($"ping -c 2 -i 0.2 -W 1 {s_address[to]}", 15_000).ExitCode == 0;
            }

            reached[$"{from}>{to}"] = ok;
        }

        return reached;
    }

    /// <summary>The hosts x, y, z (one interface each) and H with its inner bridge and stations A, B.</summary>
    private abstract class Wiring : IDisposable
    {
        private readonly List<NetworkNamespace> _namespaces = [];

        public Dictionary<string, NetworkNamespace> Hosts { get; } = [];

        public abstract void Hairpin(bool on);

        /// <summary>Creates a namespace with IPv6 off (no background chatter), removed on dispose.</summary>
        protected NetworkNamespace Namespace(string prefix)
        {
            var ns = NetworkNamespace.Create(prefix);
            _namespaces.Add(ns);
            ns.Exec("sysctl -qw net.ipv6.conf.all.disable_ipv6=1");
            ns.Exec("sysctl -qw net.ipv6.conf.default.disable_ipv6=1");
            return ns;
        }

        /// <summary>Host <paramref name="name"/> whose interface <paramref name="ifName"/> is (or will be) in <paramref name="ns"/>.</summary>
        protected void Host(string name, NetworkNamespace ns, string ifName)
        {
            ns.Exec($"ip addr add {s_address[name]}/24 dev {ifName}");
            ns.Exec($"ip link set dev {ifName} up");
            Hosts[name] = ns;
        }

        /// <summary>H: a Linux bridge over the uplink <paramref name="uplink"/> with stations A and B on isolated, non-learning ports.</summary>
        protected void VepaHost(NetworkNamespace h, string uplink)
        {
            h.Exec("ip link add hb type bridge");
            h.Exec($"ip link set dev {uplink} master hb");
            h.Exec($"bridge link set dev {uplink} learning off");
            h.Exec($"ip link set dev {uplink} up");
            foreach (string station in new[] { "A", "B" })
            {
                NetworkNamespace s = Namespace("fbs");
                h.Exec($"ip link add v{station} type veth peer name e{station} netns {s.Name}");
                h.Exec($"ip link set dev v{station} master hb");
                h.Exec($"bridge link set dev v{station} isolated on learning off");
                h.Exec($"ip link set dev v{station} up");
                Host(station, s, $"e{station}");
            }

            h.Exec("ip link set dev hb up");
        }

        public virtual void Dispose()
        {
            foreach (NetworkNamespace ns in _namespaces)
            {
                ns.Dispose();
            }
        }
    }

    /// <summary>The outer switch is a Linux bridge in a namespace of its own; each port a veth pair.</summary>
    private sealed class KernelBridgeWiring : Wiring
    {
        private readonly NetworkNamespace _switch;

        public KernelBridgeWiring()
        {
            try
            {
                _switch = Namespace("fbk");
                _switch.Exec("ip link add br0 type bridge");
                _switch.Exec("ip link set dev br0 up");
                string[] names = ["x", "y", "z", "H"];
                for (int i = 0; i < names.Length; i++)
                {
                    NetworkNamespace host = Namespace("fbk");
                    _switch.Exec($"ip link add s{i} type veth peer name u{i} netns {host.Name}");
                    _switch.Exec($"ip link set dev s{i} master br0");
                    _switch.Exec($"ip link set dev s{i} up");
                    if (names[i] == "H")
                    {
                        VepaHost(host, $"u{i}");
                    }
                    else
                    {
                        Host(names[i], host, $"u{i}");
                    }
                }

                _switch.Exec("bridge link set dev s0 isolated on");
                _switch.Exec("bridge link set dev s1 isolated on");
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        public override void Hairpin(bool on) => _switch.Exec($"bridge link set dev s3 hairpin {(on ? "on" : "off")}");
    }

    /// <summary>The outer switch is FastBridge; each port a TAP whose kernel side is moved into its host's namespace.</summary>
    private sealed class FastBridgeWiring : Wiring
    {
        private readonly Bridge _bridge = new(new BridgeOptions { Workers = 2 });
        private readonly string[] _taps = new string[4];

        public FastBridgeWiring()
        {
            try
            {
                string suffix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
                string[] names = ["x", "y", "z", "H"];
                for (int i = 0; i < names.Length; i++)
                {
                    NetworkNamespace host = Namespace("fbf");
                    _taps[i] = $"fbp{suffix}{i}";
                    _bridge.AddPort(TapPort.Open(_taps[i]));
                    host.MoveIn(_taps[i]);
                    if (names[i] == "H")
                    {
                        VepaHost(host, _taps[i]);
                    }
                    else
                    {
                        Host(names[i], host, _taps[i]);
                    }
                }

                _bridge.SetPortPolicy(_taps[0], new PortPolicy { Isolated = true });
                _bridge.SetPortPolicy(_taps[1], new PortPolicy { Isolated = true });
                _bridge.Start();
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        public override void Hairpin(bool on) => _bridge.SetPortPolicy(_taps[3], new PortPolicy { Hairpin = on });

        public override void Dispose()
        {
            _bridge.Dispose();
            base.Dispose();
        }
    }
}
