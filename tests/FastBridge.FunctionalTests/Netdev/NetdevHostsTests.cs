using System.Text.Json;
using FastBridge.Diagnostics;
using FastBridge.Frames;
using FastBridge.Ports;
using FastBridge.Ports.Netdev;
using FastBridge.Tests.Hosts;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Netdev;

/// <summary>
/// Netdev ports end to end: a veth pair's switch side attached to FastBridge through AF_PACKET, its host side in a
/// namespace, talking to a host behind a TAP port of the same bridge.
/// </summary>
[Collection(nameof(EndToEndCollection))]
public sealed class NetdevHostsTests
{
    private const string VethAddress = "198.18.0.11";
    private const string OtherVethAddress = "198.18.0.12";

    [SkippableTheory]
    [InlineData(false)] // the TPACKET_V3 block ring (--netdev-ring blocks)
    [InlineData(true)]  // the TPACKET_V2 frame ring (the default)
    public void A_veth_host_and_a_tap_host_ping_each_other_and_every_frame_is_accounted(bool lowLatency)
    {
        EndToEnd.RequirePrivileges();
        using var hosts = new SwitchedHosts(1);
        using var veth = VethHost.Create(VethAddress);
        NetdevPort port = NetdevPort.Open(veth.SwitchSide, new NetdevPortOptions { LowLatency = lowLatency });
        hosts.Bridge.AddPort(port);
        Assert.True(port.BroughtUp, "the switch side was down, so the port should have brought it up");
        Assert.Equal(lowLatency, port.ReceivesFromMemory); // the V2 ring is polled in memory: its worker spins before sleeping

        Assert.True(veth.Ping(SwitchedHosts.Address(0), count: 3), "the veth host cannot ping the TAP host");
        Assert.Equal(0, hosts.Host(0).TryExec($"ping -c 3 -i 0.1 -W 2 {VethAddress}").ExitCode);
        Assert.Equal(port.Id, hosts.Bridge.MacTable.Lookup(MacAddress.Parse(veth.Mac).Value, 0));

        // Exact accounting: what the host side sent is what the port received, and the other way round.
        long sentBefore = veth.Counter("tx_packets");
        long gotBefore = veth.Counter("rx_packets");
        PortCounters before = hosts.Bridge.ReadCounters()[port.Name]!;
        Assert.Equal(0, hosts.Host(0).TryExec($"ping -c 20 -i 0.02 -W 2 {VethAddress}").ExitCode);
        Assert.True(EndToEnd.WaitFor(() => Settled(hosts.Bridge, port.Name, veth, sentBefore, gotBefore, before), TimeSpan.FromSeconds(10)),
            Describe(hosts.Bridge, port.Name, veth, sentBefore, gotBefore, before));

        foreach (PortCounters c in hosts.Bridge.ReadCounters().Ports)
        {
            Assert.Equal(c.RxFrames, c.Forwarded + c.IngressDrops);
            Assert.Equal(c.TxOffered, c.TxFrames + c.EgressDrops);
        }

        Assert.Equal(0, hosts.Bridge.ReadCounters()[port.Name]!.IngressDrops);
    }

    [SkippableFact]
    public void Tcp_runs_between_a_veth_host_and_a_tap_host_both_ways()
    {
        EndToEnd.RequirePrivileges();
        RequireIperf3();
        using var hosts = new SwitchedHosts(1);
        using var veth = VethHost.Create(VethAddress);
        hosts.Bridge.AddPort(NetdevPort.Open(veth.SwitchSide));
        Assert.True(veth.Ping(SwitchedHosts.Address(0), count: 2));

        hosts.Host(0).Exec($"iperf3 -s -1 -D -B {SwitchedHosts.Address(0)}");
        Thread.Sleep(300);
        Assert.True(Iperf3(veth.Namespace, SwitchedHosts.Address(0), reverse: false) > 1_000_000, "veth -> tap moved under 1 MB");
        hosts.Host(0).Exec($"iperf3 -s -1 -D -B {SwitchedHosts.Address(0)}");
        Thread.Sleep(300);
        Assert.True(Iperf3(veth.Namespace, SwitchedHosts.Address(0), reverse: true) > 1_000_000, "tap -> veth moved under 1 MB");
    }

    [SkippableTheory]
    [InlineData(false)] // the TPACKET_V3 block ring (--netdev-ring blocks)
    [InlineData(true)]  // the TPACKET_V2 frame ring (the default)
    public void A_tagged_frame_from_the_veth_side_arrives_tagged_at_the_tap_host_and_one_from_the_tap_host_arrives_tagged_at_the_veth_side(bool lowLatency)
    {
        EndToEnd.RequirePrivileges();
        using var hosts = new SwitchedHosts(1);
        using var veth = VethHost.Create(VethAddress);
        NetdevPort port = NetdevPort.Open(veth.SwitchSide, new NetdevPortOptions { LowLatency = lowLatency });
        hosts.Bridge.AddPort(port);

        // veth -> switch: the kernel strips the tag on our side of the veth (skb_vlan_untag) and reports it in the
        // ring; the port must put it back, or the TAP host gets the frame untagged.
        byte[] fromVeth = Tagged(source: 0x71, tci: 0x6007);
        Task<(int ExitCode, string Output)> atTap = PacketScript.StartReceive(hosts.Host(0), hosts.Taps[0], fromVeth[6..12], 10);
        PacketScript.Send(veth.Namespace, veth.HostSide, fromVeth, 20);
        (int code, string output) = atTap.Result;
        Assert.True(code == 0, $"the TAP host saw no frame: {output}");
        Assert.Equal($"tci {0x6007}", output.Trim());
        Assert.Equal(port.Id, hosts.Bridge.MacTable.Lookup(MacAddress.Parse("02:00:00:00:07:71").Value, 7));

        // TAP host -> switch -> netdev port -> veth: the tag in the frame goes out in the frame.
        byte[] fromTap = Tagged(source: 0x72, tci: 0xa009);
        Task<(int ExitCode, string Output)> atVeth = PacketScript.StartReceive(veth.Namespace, veth.HostSide, fromTap[6..12], 10);
        PacketScript.Send(hosts.Host(0), hosts.Taps[0], fromTap, 20);
        (code, output) = atVeth.Result;
        Assert.True(code == 0, $"the veth host saw no frame: {output}");
        Assert.Equal($"tci {0xa009}", output.Trim());
    }

    [SkippableFact]
    public void Garbage_and_super_frames_from_the_veth_side_are_counted_and_the_switch_keeps_working()
    {
        EndToEnd.RequirePrivileges();
        using var hosts = new SwitchedHosts(1);
        using var veth = VethHost.Create(VethAddress);
        NetdevPort port = NetdevPort.Open(veth.SwitchSide);
        hosts.Bridge.AddPort(port);
        Assert.True(veth.Ping(SwitchedHosts.Address(0)));

        // Multicast sources (invalid-source) and random bytes. (A super-frame sent through a raw socket is cut into
        // segments by the sending veth, which takes no SKB_GSO_DODGY frames whole, so over-mtu cannot be made this way.)
        byte[] badSource = Tagged(source: 0x73, tci: 7);
        badSource[6] = 0x01;
        PacketScript.Send(veth.Namespace, veth.HostSide, badSource, 5);
        Random random = new(11);
        for (int i = 0; i < 5; i++)
        {
            byte[] garbage = new byte[random.Next(14, 200)];
            random.NextBytes(garbage);
            PacketScript.Send(veth.Namespace, veth.HostSide, garbage, 1);
        }

        Assert.True(EndToEnd.WaitFor(() =>
        {
            PortCounters c = hosts.Bridge.ReadCounters()[port.Name]!;
            return c.Dropped(DropReason.InvalidSource) >= 5 && c.RxFrames >= 12;
        }, TimeSpan.FromSeconds(10)), string.Join(", ", hosts.Bridge.ReadCounters()[port.Name]!.Drops.Select(d => $"{d.Key}={d.Value}")));

        PortCounters after = hosts.Bridge.ReadCounters()[port.Name]!;
        Assert.Equal(after.RxFrames, after.Forwarded + after.IngressDrops);
        Assert.True(veth.Ping(SwitchedHosts.Address(0)), "the switch stopped switching after the hostile frames");
    }

    /// <summary>A broadcast frame from 02:00:00:00:07:SS with one 802.1Q tag and a 46-byte payload (EtherType 0x88b5).</summary>
    private static byte[] Tagged(byte source, ushort tci)
    {
        byte[] frame = new byte[64];
        frame.AsSpan(0, 6).Fill(0xff);
        new byte[] { 0x02, 0, 0, 0, 0x07, source }.CopyTo(frame, 6);
        frame[12] = 0x81;
        frame[13] = 0x00;
        frame[14] = (byte)(tci >> 8);
        frame[15] = (byte)tci;
        frame[16] = 0x88;
        frame[17] = 0xb5;
        return frame;
    }

    private static bool Settled(Bridge bridge, string name, VethHost veth, long sentBefore, long gotBefore, PortCounters before)
    {
        PortCounters now = bridge.ReadCounters()[name]!;
        return now.RxFrames - before.RxFrames == veth.Counter("tx_packets") - sentBefore
            && now.TxFrames - before.TxFrames == veth.Counter("rx_packets") - gotBefore
            && now.RxFrames - before.RxFrames >= 20;
    }

    private static string Describe(Bridge bridge, string name, VethHost veth, long sentBefore, long gotBefore, PortCounters before)
    {
        PortCounters now = bridge.ReadCounters()[name]!;
        return $"port rx {now.RxFrames - before.RxFrames} vs host sent {veth.Counter("tx_packets") - sentBefore}; "
            + $"port tx {now.TxFrames - before.TxFrames} vs host got {veth.Counter("rx_packets") - gotBefore}";
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

    private static long Iperf3(FastBridge.Cli.Demo.NetworkNamespace client, string server, bool reverse)
    {
        string json = client.Exec($"iperf3 -c {server} -t 2 -J{(reverse ? " -R" : "")}", 60_000);
        using var doc = JsonDocument.Parse(json);
        JsonElement sum = doc.RootElement.GetProperty("end").GetProperty("sum_received");
        Console.WriteLine($"iperf3 veth {(reverse ? "<-" : "->")} tap: {sum.GetProperty("bits_per_second").GetDouble() / 1e9:F2} Gbit/s");
        return sum.GetProperty("bytes").GetInt64();
    }
}
