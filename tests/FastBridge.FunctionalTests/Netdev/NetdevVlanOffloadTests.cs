using System.Text.Json;
using FastBridge.Diagnostics;
using FastBridge.Frames;
using FastBridge.Ports.Netdev;
using FastBridge.Tests.Hosts;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Netdev;

/// <summary>
/// A VLAN carried on a veth, with offloads on both sides: the veth host and a TAP host are both on VLAN 10 (tagged
/// by eBPF at their interfaces, <see cref="VlanByBpf"/>, which also drops what arrives without that tag), and TCP runs
/// between them both ways. The kernel hands the netdev port the veth host's TSO super-frames with the tag stripped
/// (reported in the ring); the port must put the tag back, keep the frame whole and move the checksum offset past the
/// tag; the other way, a tagged super-frame from the TAP goes out through the packet socket and the kernel segments
/// it for the veth, each segment tagged and checksummed.
/// </summary>
[Collection(nameof(EndToEndCollection))]
public sealed class NetdevVlanOffloadTests
{
    private const string VethAddress = "198.18.0.11";
    private const int Vlan = 10;

    [SkippableTheory]
    [InlineData(false)] // the TPACKET_V3 block ring: the super-frame in place in its block
    [InlineData(true)]  // the TPACKET_V2 frame ring: the super-frame read from the socket's queue
    public void Tcp_over_a_vlan_on_the_veth_keeps_its_tag_and_its_super_frames_both_ways(bool frameRing)
    {
        EndToEnd.RequirePrivileges();
        RequireIperf3();
        RequireVlanByBpf();
        using var hosts = new SwitchedHosts(1);
        using var veth = VethHost.Create(VethAddress, completeFrames: false);
        NetdevPort port = NetdevPort.Open(veth.SwitchSide, new NetdevPortOptions { LowLatency = frameRing });
        hosts.Bridge.AddPort(port);
        Assert.True(port.AcceptsOffloads, "PACKET_VNET_HDR was refused");
        VlanByBpf.Apply(veth.Namespace, veth.HostSide, Vlan);
        VlanByBpf.Apply(hosts.Host(0), hosts.Taps[0], Vlan);

        // Both hosts accept only frames tagged with VLAN 10: a ping that gets through crossed the switch tagged both ways.
        Assert.True(veth.Ping(SwitchedHosts.Address(0), count: 2), "no ping over VLAN 10 through the netdev port");
        Assert.Equal(port.Id, hosts.Bridge.MacTable.Lookup(MacAddress.Parse(veth.Mac).Value, Vlan));
        Assert.Equal(-1, hosts.Bridge.MacTable.Lookup(MacAddress.Parse(veth.Mac).Value, 0)); // never seen untagged
        Assert.Equal(hosts.Ports[0].Id, hosts.Bridge.MacTable.Lookup(hosts.Mac(0).Value, Vlan));

        // veth -> TAP: the veth host's TSO super-frames, tag stripped by the kernel, arrive whole and tagged.
        long received = Iperf3(hosts, veth, reverse: false);
        Assert.True(received > 10_000_000, $"veth -> tap over VLAN {Vlan} moved only {received} bytes");
        Assert.True(port.RxSuperFrames > 0, "no tagged super-frame came in whole from the veth");
        PortCounters rx = hosts.Bridge.ReadCounters()[port.Name]!;
        Assert.True(rx.RxBytes / rx.RxFrames > 1518, $"{rx.RxBytes} bytes in {rx.RxFrames} frames: no super-frames");
        Assert.Equal(0, rx.Dropped(DropReason.OverMtu));
        Assert.Equal(0, rx.Dropped(DropReason.BadOffload));

        // TAP -> veth: the TAP's tagged super-frames leave through the port whole; the kernel cuts them for the veth.
        long superBefore = port.TxSuperFrames;
        received = Iperf3(hosts, veth, reverse: true);
        Assert.True(received > 10_000_000, $"tap -> veth over VLAN {Vlan} moved only {received} bytes");
        Assert.True(port.TxSuperFrames > superBefore, "no tagged super-frame went out whole to the veth");
        PortCounters tx = hosts.Bridge.ReadCounters()[port.Name]!;
        Assert.Equal(0, tx[Counter.TxSegmented]); // the engine cut nothing: the kernel did, after the packet socket
        Assert.Equal(0, tx.Dropped(DropReason.TxError));

        Assert.Equal(0, NetdevOffloadHostsTests.ChecksumErrors(veth.Namespace));
        Assert.Equal(0, NetdevOffloadHostsTests.ChecksumErrors(hosts.Host(0)));
        Assert.Equal(-1, hosts.Bridge.MacTable.Lookup(MacAddress.Parse(veth.Mac).Value, 0));
    }

    private static void RequireIperf3()
    {
        bool found = File.Exists("/usr/bin/iperf3") || File.Exists("/usr/local/bin/iperf3");
        if (!found && EndToEnd.Required)
        {
            Assert.Fail("FASTBRIDGE_REQUIRE_E2E=1 but iperf3 is not installed");
        }

        Skip.If(!found, "iperf3 is not installed");
    }

    private static void RequireVlanByBpf()
    {
        (bool works, string why) = VlanByBpf.Probe();
        if (!works && EndToEnd.Required)
        {
            Assert.Fail($"FASTBRIDGE_REQUIRE_E2E=1 but a VLAN cannot be put on an interface by eBPF here: {why}");
        }

        Skip.If(!works, $"no eBPF VLAN tagging here (tc, cls_bpf, bpf()): {why}");
    }

    /// <summary>iperf3 for 2 s between the veth host (client) and the TAP host (server) over the VLAN; bytes received.</summary>
    private static long Iperf3(SwitchedHosts hosts, VethHost veth, bool reverse)
    {
        hosts.Host(0).Exec($"iperf3 -s -1 -D -B {SwitchedHosts.Address(0)}");
        Thread.Sleep(300);
        string json = veth.Namespace.Exec($"iperf3 -c {SwitchedHosts.Address(0)} -t 2 -J{(reverse ? " -R" : "")}", 60_000);
        using var doc = JsonDocument.Parse(json);
        JsonElement sum = doc.RootElement.GetProperty("end").GetProperty("sum_received");
        Console.WriteLine($"iperf3 veth {(reverse ? "<-" : "->")} tap over VLAN {Vlan} (offloads): {sum.GetProperty("bits_per_second").GetDouble() / 1e9:F2} Gbit/s");
        return sum.GetProperty("bytes").GetInt64();
    }
}
