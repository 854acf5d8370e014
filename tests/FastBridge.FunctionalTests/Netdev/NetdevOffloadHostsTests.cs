using System.Security.Cryptography;
using System.Text.Json;
using FastBridge.Buffers;
using FastBridge.Cli.Demo;
using FastBridge.Diagnostics;
using FastBridge.Frames;
using FastBridge.Ports;
using FastBridge.Ports.Netdev;
using FastBridge.Tests.Hosts;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Netdev;

/// <summary>
/// Netdev ports with offloads (PACKET_VNET_HDR) end to end: a veth host that keeps its default offloads (TSO,
/// partial checksums; no <c>ethtool -K tx off</c>) runs TCP with a host behind an offload TAP, both ways, and the
/// super-frames cross the switch whole; frames over the interface's MTU are counted drops in both directions.
/// </summary>
[Collection(nameof(EndToEndCollection))]
public sealed class NetdevOffloadHostsTests
{
    private const string VethAddress = "198.18.0.11";

    [SkippableTheory]
    [InlineData(false)] // the TPACKET_V3 block ring: a super-frame fits in a block
    [InlineData(true)]  // the TPACKET_V2 frame ring: a super-frame is read whole from the socket's queue (TP_STATUS_COPY)
    public void Tcp_with_the_veth_peers_offloads_on_carries_super_frames_both_ways(bool frameRing)
    {
        EndToEnd.RequirePrivileges();
        RequireIperf3();
        using var hosts = new SwitchedHosts(1);
        using var veth = VethHost.Create(VethAddress, completeFrames: false);
        NetdevPort port = NetdevPort.Open(veth.SwitchSide, new NetdevPortOptions { LowLatency = frameRing });
        hosts.Bridge.AddPort(port);
        Assert.True(port.AcceptsOffloads, "PACKET_VNET_HDR was refused");
        Assert.True(veth.Ping(SwitchedHosts.Address(0), count: 2));

        // veth -> switch -> TAP: the namespace's TCP hands the veth 64 KiB super-frames; the port takes them whole.
        long received = Iperf3(hosts, veth.Namespace, reverse: false);
        Assert.True(received > 10_000_000, $"veth -> tap moved only {received} bytes");
        Assert.True(port.RxSuperFrames > 0, "no super-frame came in whole from the veth");
        if (frameRing)
        {
            Assert.True(port.RxQueued > 0, "no super-frame was read from the socket's queue beside the V2 ring");
        }

        PortCounters rx = hosts.Bridge.ReadCounters()[port.Name]!;
        Assert.True(rx.RxBytes / rx.RxFrames > 1514, $"{rx.RxBytes} bytes in {rx.RxFrames} frames: no super-frames");
        Assert.Equal(0, rx.Dropped(DropReason.OverMtu));
        Assert.Equal(0, rx.Dropped(DropReason.BadOffload));

        // TAP -> switch -> veth: the TAP's super-frames go out whole (the kernel segments them for the veth).
        long before = port.TxSuperFrames;
        received = Iperf3(hosts, veth.Namespace, reverse: true);
        Assert.True(received > 10_000_000, $"tap -> veth moved only {received} bytes");
        Assert.True(port.TxSuperFrames > before, "no super-frame went out whole to the veth");
        PortCounters tx = hosts.Bridge.ReadCounters()[port.Name]!;
        Assert.Equal(0, tx[Counter.TxSegmented]); // the engine cut nothing for the netdev port
        Assert.Equal(0, ChecksumErrors(veth.Namespace));
        Assert.Equal(0, ChecksumErrors(hosts.Host(0)));
        AssertBalanced(hosts.Bridge);
    }

    [SkippableFact]
    public void Without_offloads_the_same_traffic_is_segmented_by_the_engine_towards_the_veth()
    {
        EndToEnd.RequirePrivileges();
        RequireIperf3();
        using var hosts = new SwitchedHosts(1);
        using var veth = VethHost.Create(VethAddress);
        NetdevPort port = NetdevPort.Open(veth.SwitchSide, new NetdevPortOptions { Offloads = false });
        hosts.Bridge.AddPort(port);
        Assert.False(port.AcceptsOffloads);
        Assert.True(veth.Ping(SwitchedHosts.Address(0), count: 2));

        long received = Iperf3(hosts, veth.Namespace, reverse: true);
        Assert.True(received > 1_000_000, $"tap -> veth moved only {received} bytes");
        Assert.True(hosts.Bridge.ReadCounters()[port.Name]![Counter.TxSegmented] > 0, "the TAP's super-frames should be cut for a port without offloads");
        Assert.Equal(0, port.TxSuperFrames);
        Assert.Equal(0, ChecksumErrors(veth.Namespace));
    }

    [SkippableFact]
    public void A_frame_over_the_mtu_is_a_counted_drop_on_the_way_out()
    {
        EndToEnd.RequirePrivileges();
        using var hosts = new SwitchedHosts(1);
        using var veth = VethHost.Create(VethAddress);
        NetdevPort port = NetdevPort.Open(veth.SwitchSide);
        hosts.Bridge.AddPort(port);
        Assert.True(veth.Ping(SwitchedHosts.Address(0), count: 2));

        // The TAP host may send 4000-byte frames; the veth takes 1500 + headers. ICMP is no super-frame: not sent.
        hosts.Host(0).Exec($"ip link set dev {hosts.Taps[0]} mtu 4000");
        long gotBefore = veth.Counter("rx_packets");
        Assert.NotEqual(0, hosts.Host(0).TryExec($"ping -c 3 -i 0.1 -W 1 -M do -s 3000 {VethAddress}").ExitCode);
        Assert.True(EndToEnd.WaitFor(() => hosts.Bridge.ReadCounters()[port.Name]!.Dropped(DropReason.TxOverMtu) >= 3, TimeSpan.FromSeconds(10)),
            Drops(hosts.Bridge, port.Name));
        Assert.Equal(gotBefore, veth.Counter("rx_packets")); // nothing arrived, not even cut
        Assert.Equal(0, hosts.Host(0).TryExec($"ping -c 2 -i 0.1 -W 2 -M do -s 1472 {VethAddress}").ExitCode); // full-size frames still pass
        AssertBalanced(hosts.Bridge);
    }

    [SkippableFact]
    public void A_frame_over_the_mtu_is_a_counted_drop_on_the_way_in()
    {
        // A veth drops what exceeds its peer's MTU before the port could see it; a tap (as libvirt's vnetN, written
        // by QEMU) takes any length from its fd: the port must count what is too long for its MTU, not pass it on cut.
        EndToEnd.RequirePrivileges();
        using var hosts = new SwitchedHosts(1);
        string name = $"fbo{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";
        using TapPort writer = TapPort.Open(name, new TapPortOptions { Offloads = false });
        NetworkNamespace.Run("sysctl", $"-qw net.ipv6.conf.{name}.disable_ipv6=1");
        NetdevPort port = NetdevPort.Open(name);
        hosts.Bridge.AddPort(port);

        using var pool = new PacketPool(16, 2);
        MacAddress source = MacAddress.Parse("02:00:00:00:0b:01");
        byte[] big = FrameBuilder.Untagged(MacAddress.Broadcast, source, payloadLength: 3000);
        byte[] fits = FrameBuilder.Untagged(MacAddress.Broadcast, source, payloadLength: 1500);
        Write(writer, pool, big);
        Write(writer, pool, fits);
        Write(writer, pool, big);

        Assert.True(EndToEnd.WaitFor(() =>
        {
            PortCounters c = hosts.Bridge.ReadCounters()[port.Name]!;
            return c.Dropped(DropReason.OverMtu) == 2 && c.RxFrames == 3;
        }, TimeSpan.FromSeconds(10)), Drops(hosts.Bridge, port.Name));
        Assert.Equal(2, port.RxOverMtu);
        Assert.True(EndToEnd.WaitFor(() => hosts.Bridge.ReadCounters()[hosts.Ports[0].Name]!.TxFrames >= 1, TimeSpan.FromSeconds(5)),
            "the frame that fits did not reach the TAP host");
        Assert.Equal(1, hosts.Bridge.ReadCounters()[port.Name]!.Forwarded); // only the one that fits, whole
        AssertBalanced(hosts.Bridge);
    }

    private static void Write(TapPort tap, PacketPool pool, byte[] frame)
    {
        Assert.True(pool.TryRentCopy(frame, out Packet packet));
        Span<DropReason> outcome = stackalloc DropReason[1];
        tap.Transmit([packet], outcome);
        packet.Release();
        Assert.Equal(DropReason.None, outcome[0]);
    }

    private static string Drops(Bridge bridge, string name) =>
        string.Join(", ", bridge.ReadCounters()[name]!.Drops.Select(d => $"{d.Key}={d.Value}"));

    private static void AssertBalanced(Bridge bridge) =>
        Assert.True(EndToEnd.WaitFor(
            () => bridge.ReadCounters().Ports.All(p => p.TxOffered == p.TxFrames + p.EgressDrops && p.RxFrames == p.Forwarded + p.IngressDrops),
            TimeSpan.FromSeconds(5)), "counters do not balance");

    private static void RequireIperf3()
    {
        bool found = File.Exists("/usr/bin/iperf3") || File.Exists("/usr/local/bin/iperf3");
        if (!found && EndToEnd.Required)
        {
            Assert.Fail("FASTBRIDGE_REQUIRE_E2E=1 but iperf3 is not installed");
        }

        Skip.If(!found, "iperf3 is not installed");
    }

    /// <summary>iperf3 for 2 s between the veth host (client) and the TAP host (server); bytes received.</summary>
    private static long Iperf3(SwitchedHosts hosts, NetworkNamespace client, bool reverse)
    {
        hosts.Host(0).Exec($"iperf3 -s -1 -D -B {SwitchedHosts.Address(0)}");
        Thread.Sleep(300);
        string json = client.Exec($"iperf3 -c {SwitchedHosts.Address(0)} -t 2 -J{(reverse ? " -R" : "")}", 60_000);
        using var doc = JsonDocument.Parse(json);
        JsonElement sum = doc.RootElement.GetProperty("end").GetProperty("sum_received");
        Console.WriteLine($"iperf3 veth {(reverse ? "<-" : "->")} tap (offloads): {sum.GetProperty("bits_per_second").GetDouble() / 1e9:F2} Gbit/s");
        return sum.GetProperty("bytes").GetInt64();
    }

    /// <summary>TCP and UDP InCsumErrors of a namespace's stack (/proc/net/snmp).</summary>
    internal static long ChecksumErrors(NetworkNamespace ns)
    {
        string[] lines = ns.Exec("cat /proc/net/snmp").Split('\n');
        long errors = 0;
        for (int i = 0; i + 1 < lines.Length; i++)
        {
            if (lines[i].StartsWith("Tcp:", StringComparison.Ordinal) || lines[i].StartsWith("Udp:", StringComparison.Ordinal))
            {
                string[] names = lines[i].Split(' ');
                string[] values = lines[i + 1].Split(' ');
                if (values[0] == names[0])
                {
                    int at = Array.IndexOf(names, "InCsumErrors");
                    errors += at > 0 ? long.Parse(values[at], System.Globalization.CultureInfo.InvariantCulture) : 0;
                    i++;
                }
            }
        }

        return errors;
    }
}
