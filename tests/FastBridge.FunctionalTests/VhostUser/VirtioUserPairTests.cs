using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.VhostUser;

/// <summary>
/// Two DPDK virtio-user ports exchange frames through FastBridge (one port with FastBridge as the socket server, one
/// as the client): a loop of 64 frames circulates port 0 -> switch -> port 1 -> testpmd -> port 0, and when it stops
/// every frame is accounted for on both sides.
/// </summary>
[Collection(nameof(Hosts.EndToEndCollection))]
public sealed class VirtioUserPairTests(VirtioUserPairFixture rig) : IClassFixture<VirtioUserPairFixture>
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(90);

    [SkippableTheory]
    [InlineData(64)]
    [InlineData(1518)]
    public void A_frame_loop_through_the_switch_loses_nothing_and_every_frame_is_counted(int frameLength)
    {
        rig.Start.Require();
        Quiesce();
        PortCounters vu0 = rig.Switch.Port("vu0"), vu1 = rig.Switch.Port("vu1");
        var before = rig.Testpmd.Stats();

        rig.Testpmd.SetTxPackets(frameLength - 4);   // frame sizes are quoted with the FCS; virtio carries none
        rig.Testpmd.StartTxFirst(1);                 // 32 frames from each port
        try
        {
            rig.Testpmd.WaitForStats(s => s[0].RxPackets - before[0].RxPackets > 5_000 && s[1].RxPackets - before[1].RxPackets > 5_000,
                s_timeout, "5000 frames round the loop on each port");
        }
        finally
        {
            rig.Testpmd.Stop();
        }

        // testpmd: everything its loop received it sent on (no send failed), plus the 64 it started with.
        var after = rig.Testpmd.Stats();
        long sent = after.Sum(p => p.TxPackets) - before.Sum(p => p.TxPackets);
        long received = after.Sum(p => p.RxPackets) - before.Sum(p => p.RxPackets);
        Assert.Equal(0, after.Sum(p => p.TxErrors) - before.Sum(p => p.TxErrors));

        // FastBridge read everything testpmd sent on each port and delivered all of it to the other one, dropping
        // nothing; the frames testpmd has not read since it stopped (the whole loop: 64) sit in its receive rings.
        long sent0 = after[0].TxPackets - before[0].TxPackets, sent1 = after[1].TxPackets - before[1].TxPackets;
        bool Settled()
        {
            PortCounters a = rig.Switch.Port("vu0"), b = rig.Switch.Port("vu1");
            return a.RxFrames - vu0.RxFrames == sent0 && b.RxFrames - vu1.RxFrames == sent1
                && b.TxFrames - vu1.TxFrames == sent0 && a.TxFrames - vu0.TxFrames == sent1;
        }

        Assert.True(EndToEnd.WaitFor(Settled, s_timeout),
            rig.Switch.Describe($"switch {rig.Switch.Port("vu0")} / {rig.Switch.Port("vu1")}; testpmd sent {sent0} + {sent1}"));
        PortCounters vu0After = rig.Switch.Port("vu0"), vu1After = rig.Switch.Port("vu1");

        // Frames the switch delivered that testpmd has not read sit in its receive rings: before this run, what an
        // earlier run left (testpmd's `start` reads and frees those first: received, never sent on); after it,
        // exactly the 64 frames of this run's loop.
        long leftBefore = vu0.TxFrames + vu1.TxFrames - before.Sum(p => p.RxPackets);
        long leftAfter = vu0After.TxFrames + vu1After.TxFrames - after.Sum(p => p.RxPackets);
        string state = $"testpmd sent {sent}, received {received}; before {string.Join("; ", before)}; after {string.Join("; ", after)}; "
            + $"switch before {vu0} / {vu1}, after {vu0After} / {vu1After}";
        Assert.True(leftAfter == 64, $"{leftAfter} frames, not the loop's 64, wait in testpmd's receive rings: {state}");
        Assert.True(sent - received == 64 - leftBefore, $"{leftBefore} frames were left from before: {state}");
        Assert.Equal(vu0.TotalDrops, vu0After.TotalDrops);
        Assert.Equal(vu1.TotalDrops, vu1After.TotalDrops);
        Assert.Equal(sent0, vu0After.Forwarded - vu0.Forwarded);
        Assert.Equal(sent1, vu1After.Forwarded - vu1.Forwarded);
        Assert.Equal(sent0, vu1After.TxOffered - vu1.TxOffered);
        Assert.Equal(sent1, vu0After.TxOffered - vu0.TxOffered);
    }

    /// <summary>testpmd is stopped: waits until the switch has read all it sent and passed every frame on (no frame
    /// still between them), so counters read next are a consistent cut.</summary>
    private void Quiesce()
    {
        bool Still()
        {
            var t = rig.Testpmd.Stats();
            PortCounters a = rig.Switch.Port("vu0"), b = rig.Switch.Port("vu1");
            return a.RxFrames == t[0].TxPackets && b.RxFrames == t[1].TxPackets
                && a.Forwarded == a.RxFrames && b.Forwarded == b.RxFrames
                && b.TxOffered == a.Forwarded && a.TxOffered == b.Forwarded;
        }

        Assert.True(EndToEnd.WaitFor(Still, s_timeout), rig.Switch.Describe($"the switch did not settle: {rig.Switch.Port("vu0")} / {rig.Switch.Port("vu1")}"));
    }

    [SkippableFact]
    public void Each_station_is_learned_on_its_own_port()
    {
        rig.Start.Require();
        rig.Testpmd.SetTxPackets(60);
        rig.Testpmd.StartTxFirst(1);
        rig.Testpmd.Stop();
        Assert.True(EndToEnd.WaitFor(() => rig.Switch.MacsOn("vu0").Contains(VirtioUserPairFixture.Mac0)
            && rig.Switch.MacsOn("vu1").Contains(VirtioUserPairFixture.Mac1), s_timeout),
            rig.Switch.Describe($"vu0 holds {string.Join(",", rig.Switch.MacsOn("vu0"))}, vu1 holds {string.Join(",", rig.Switch.MacsOn("vu1"))}"));
    }
}
