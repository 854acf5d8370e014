using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.VhostUser;

/// <summary>
/// DPDK's virtio-user (a real vhost-user frontend) and a host behind a TAP exchange frames through FastBridge, counted
/// exactly at every step: testpmd's counters, FastBridge's <c>stats --json</c> and the host's interface counters agree.
/// </summary>
[Collection(nameof(Hosts.EndToEndCollection))]
public sealed class VirtioUserTapHostTests(VirtioUserTapHostFixture rig) : IClassFixture<VirtioUserTapHostFixture>
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    [SkippableFact]
    public void Frames_testpmd_sends_reach_the_tap_host_each_counted_once()
    {
        rig.Start.Require();
        long hostRx = rig.HostCounter("rx_packets");
        PortCounters vu0 = rig.Switch.Port("vu0"), tap = rig.Switch.Port(rig.Tap);
        long sent = rig.Testpmd.Stats()[0].TxPackets;

        rig.Testpmd.SetTxPackets(64);
        rig.Testpmd.StartTxFirst(1);   // one burst of 32 frames to the host's MAC, then only reflects (nothing comes)
        try
        {
            rig.Testpmd.WaitForStats(s => s[0].TxPackets == sent + 32, s_timeout, "32 frames sent");
            Assert.True(EndToEnd.WaitFor(() => rig.HostCounter("rx_packets") - hostRx >= 32, s_timeout),
                rig.Switch.Describe($"the host received {rig.HostCounter("rx_packets") - hostRx} of 32 frames"));
        }
        finally
        {
            rig.Testpmd.Stop();
        }

        Assert.Equal(32, rig.HostCounter("rx_packets") - hostRx);
        PortCounters vu0After = rig.Switch.Port("vu0"), tapAfter = rig.Switch.Port(rig.Tap);
        Assert.Equal(32, vu0After.RxFrames - vu0.RxFrames);
        Assert.Equal(32, vu0After.Forwarded - vu0.Forwarded);
        Assert.Equal(32, tapAfter.TxFrames - tap.TxFrames);
        Assert.Equal(vu0.TotalDrops, vu0After.TotalDrops);
        Assert.Equal(tap.TotalDrops, tapAfter.TotalDrops);
    }

    [SkippableFact]
    public void Frames_the_tap_host_sends_come_back_from_testpmd_each_counted_once()
    {
        rig.Start.Require();

        // The host sends 5 ICMP echo requests to an address it believes is testpmd's MAC (a static neighbour: no ARP);
        // testpmd returns each with the MACs swapped. Not addressed to the host's IP, they end there (counted).
        const string peer = "198.18.74.9";
        rig.Host.Exec($"ip neigh replace {peer} lladdr {VirtioUserTapHostFixture.TestpmdMac} dev {rig.Tap} nud permanent");
        long hostRx = rig.HostCounter("rx_packets"), hostTx = rig.HostCounter("tx_packets");
        PortCounters vu0 = rig.Switch.Port("vu0"), tap = rig.Switch.Port(rig.Tap);
        var before = rig.Testpmd.Stats()[0];

        rig.Testpmd.Command("start");
        try
        {
            rig.Host.TryExec($"ping -c 5 -i 0.2 -W 1 {peer}");   // no reply can come: the exit code says nothing
            rig.Testpmd.WaitForStats(s => s[0].RxPackets - before.RxPackets >= 5 && s[0].TxPackets - before.TxPackets >= 5,
                s_timeout, "5 frames in and back out");
            Assert.True(EndToEnd.WaitFor(() => rig.HostCounter("rx_packets") - hostRx >= 5, s_timeout),
                rig.Switch.Describe($"the host got {rig.HostCounter("rx_packets") - hostRx} of its 5 frames back"));
        }
        finally
        {
            rig.Testpmd.Stop();
        }

        var after = rig.Testpmd.Stats()[0];
        Assert.Equal(5, rig.HostCounter("tx_packets") - hostTx);
        Assert.Equal(5, after.RxPackets - before.RxPackets);
        Assert.Equal(5, after.TxPackets - before.TxPackets);
        Assert.Equal(5, rig.HostCounter("rx_packets") - hostRx);
        PortCounters vu0After = rig.Switch.Port("vu0"), tapAfter = rig.Switch.Port(rig.Tap);
        Assert.Equal(5, tapAfter.RxFrames - tap.RxFrames);
        Assert.Equal(5, vu0After.TxFrames - vu0.TxFrames);
        Assert.Equal(5, vu0After.RxFrames - vu0.RxFrames);
        Assert.Equal(5, tapAfter.TxFrames - tap.TxFrames);
        Assert.Equal(vu0.TotalDrops, vu0After.TotalDrops);

        // Both stations learned where they are.
        Assert.Contains(VirtioUserTapHostFixture.TestpmdMac, rig.Switch.MacsOn("vu0"));
        Assert.Contains(rig.HostMac, rig.Switch.MacsOn(rig.Tap));
    }
}
