using System.Net;
using FastBridge.Frames;
using FastBridge.Ports.Vxlan;
using FastBridge.Tests.Hosts;
using FastBridge.Tests.Infrastructure;
using FastBridge.Tests.Netdev;

namespace FastBridge.Tests.Vxlan;

/// <summary>
/// Three FastBridge VTEPs in a triangle over one underlay segment (issue 13): floods reach every remote, learned
/// unicast goes to one remote only (counted on the underlay links), a remote that vanishes ages out of the table;
/// and a VLAN-to-VNI map between two FastBridge hosts keeps two segments apart.
/// </summary>
[Collection(nameof(EndToEndCollection))]
public sealed class VxlanTriangleTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(20);

    [SkippableFact]
    public void Floods_reach_every_remote_learned_unicast_goes_to_one_and_a_vanished_remote_ages_out()
    {
        EndToEnd.RequirePrivileges();
        using var triangle = new VxlanTriangle(3, o => o.AgingSeconds = 4);

        // The first ping's ARP request is a broadcast: head-end replicated to both remotes, so C hears of A too.
        Assert.True(triangle.Ping(0, 1), "A cannot ping B");
        Assert.True(triangle.SentTo(0, 2) >= 1, "A's broadcast did not go to C");
        MacAddress hostA = triangle.Hosts[0].Mac(0);
        MacAddress hostB = triangle.Hosts[1].Mac(0);
        MacAddress hostC = triangle.Hosts[2].Mac(0);
        Assert.Contains(triangle.Ports[2].Entries(), e => e.Mac == hostA && e.Remote.Equals(IPAddress.Parse(VxlanTriangle.UnderlayAddress(0))));

        // Learned unicast: A -> B goes to B's VTEP only; C's underlay link stays quiet.
        Assert.Contains(triangle.Ports[0].Entries(), e => e.Mac == hostB && e.Remote.Equals(IPAddress.Parse(VxlanTriangle.UnderlayAddress(1))));
        long toC = triangle.SentTo(0, 2);
        long toB = triangle.SentTo(0, 1);
        long atC = triangle.UnderlayReceived(2);
        long cFromA = triangle.ReceivedFrom(2, 0);
        Assert.True(triangle.Ping(0, 1, count: 20, interval: "0.05"), "A -> B pings were lost");
        Assert.Equal(toC, triangle.SentTo(0, 2));
        Assert.Equal(cFromA, triangle.ReceivedFrom(2, 0));
        Assert.True(triangle.SentTo(0, 1) - toB >= 20, $"A sent only {triangle.SentTo(0, 1) - toB} datagrams to B for 20 pings");
        Assert.True(triangle.UnderlayReceived(2) - atC <= 2, $"C's underlay link got {triangle.UnderlayReceived(2) - atC} packets during A -> B unicast");

        // C talks to A, then vanishes: A's entry for C's host ages out with the bridge's aging (4 s).
        Assert.True(triangle.Ping(2, 0), "C cannot ping A");
        Assert.Contains(triangle.Ports[0].Entries(), e => e.Mac == hostC);
        triangle.Hosts[2].Dispose();
        Assert.True(EndToEnd.WaitFor(() => !triangle.Ports[0].Entries().Any(e => e.Mac == hostC), s_timeout), "C's host never aged out of A's remote table");
        Assert.True(triangle.Ping(0, 1), "A and B stopped talking after C vanished");
        VxlanKernelInteropTests.AssertAccounted(triangle.Hosts[0].Bridge);
    }

    [SkippableFact]
    public void A_vlan_map_carries_two_vlans_in_their_own_vnis_between_two_fastbridge_hosts_and_keeps_them_apart()
    {
        EndToEnd.RequirePrivileges();
        var map = new Dictionary<int, int> { [10] = 1010, [20] = 1020 };
        using var pair = new VxlanTriangle(2, adjust: (_, o) => o with { Vni = null, VlanMap = map });
        var hostA = pair.Hosts[0].Host(0);
        var hostB = pair.Hosts[1].Host(0);

        // (This kernel has no 802.1Q module: tagged frames are sent and read raw, PacketScript.)
        foreach ((int vlan, byte source) in new[] { (10, (byte)0x10), (20, (byte)0x20) })
        {
            byte[] frame = Tagged(source, (ushort)vlan);
            Task<(int ExitCode, string Output)> atB = PacketScript.StartReceive(hostB, pair.Hosts[1].Taps[0], frame[6..12], 10);
            PacketScript.Send(hostA, pair.Hosts[0].Taps[0], frame, 20);
            (int code, string output) = atB.Result;
            Assert.True(code == 0, $"VLAN {vlan}: host B saw no frame: {output}");
            Assert.Equal($"tci {vlan}", output.Trim());
        }

        // Each source learned in its own segment on B, behind A's VTEP.
        var learned = pair.Ports[1].Entries().Select(e => (e.Mac.ToString(), e.Vlan, e.Vni)).Order().ToList();
        Assert.Contains(("02:00:00:00:0a:10", 10, 1010), learned);
        Assert.Contains(("02:00:00:00:0a:20", 20, 1020), learned);
        Assert.DoesNotContain(learned, e => e.Item1 == "02:00:00:00:0a:10" && e.Vlan != 10);

        // An unmapped VLAN does not leave A: counted, never sent.
        PacketScript.Send(hostA, pair.Hosts[0].Taps[0], Tagged(0x30, 30), 5);
        Assert.True(EndToEnd.WaitFor(() => pair.Hosts[0].Bridge.ReadCounters()["vx0"]!.Dropped(FastBridge.Diagnostics.DropReason.VxlanUnmappedVlan) >= 5, s_timeout));
        VxlanKernelInteropTests.AssertAccounted(pair.Hosts[0].Bridge);
        VxlanKernelInteropTests.AssertAccounted(pair.Hosts[1].Bridge);
    }

    /// <summary>A broadcast frame from 02:00:00:00:0a:SS with one 802.1Q tag and a 46-byte payload (EtherType 0x88b5).</summary>
    private static byte[] Tagged(byte source, ushort vlan)
    {
        byte[] frame = new byte[64];
        frame.AsSpan(0, 6).Fill(0xff);
        new byte[] { 0x02, 0, 0, 0, 0x0a, source }.CopyTo(frame, 6);
        frame[12] = 0x81;
        frame[14] = (byte)(vlan >> 8);
        frame[15] = (byte)vlan;
        frame[16] = 0x88;
        frame[17] = 0xb5;
        return frame;
    }
}
