using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.VhostUser;

/// <summary>
/// The <see cref="Testpmd"/> rig against DPDK's own vhost-user backend (net_vhost, the benchmark's floor), without
/// FastBridge: the frontend connects, frames circulate, the counters parse, and a stopped loop stays stopped. When a
/// FastBridge vhost-user test fails, this one tells whether the rig and the machine (hugepages, DPDK) are at fault.
/// </summary>
[Collection(nameof(Hosts.EndToEndCollection))]
public sealed class TestpmdRigTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    [SkippableFact]
    public void Frames_circulate_between_a_virtio_user_frontend_and_dpdks_vhost_backend()
    {
        EndToEnd.RequirePrivileges();
        Testpmd.Require();
        using var dir = new SocketFolder();
        string s0 = dir.Path("b0"), s1 = dir.Path("b1");

        // The backend listens (io: port 0 <-> port 1), the frontend connects and loops what comes back.
        using var backend = Testpmd.Run(new TestpmdOptions
        {
            Vdevs = [Testpmd.VhostBackend(0, s0), Testpmd.VhostBackend(1, s1)],
            Cores = "0,1",
        });
        backend.Command("start");
        using var frontend = Testpmd.Run(new TestpmdOptions
        {
            Vdevs = [Testpmd.VirtioUser(0, s0, "02:00:00:00:00:01"), Testpmd.VirtioUser(1, s1, "02:00:00:00:00:02")],
            EthPeers = ["02:00:00:00:00:02", "02:00:00:00:00:01"],
            Cores = "1,0",
        });

        frontend.SetTxPackets(64);
        frontend.StartTxFirst(1);
        var moving = frontend.WaitForStats(s => s.Count == 2 && s[0].RxPackets > 10_000 && s[1].RxPackets > 10_000, s_timeout,
            "10000 frames back on each port");
        Assert.All(moving, p => Assert.Equal(0, p.RxErrors));
        frontend.Stop();

        // Stopped: the frontend's counters hold still, and the backend reads every frame the frontend sent.
        var stopped = frontend.Stats();
        Assert.Equal(stopped.Select(p => p.RxPackets), frontend.Stats().Select(p => p.RxPackets));
        backend.WaitForStats(b => b.Count == 2 && b[0].RxPackets == stopped[0].TxPackets && b[1].RxPackets == stopped[1].TxPackets,
            s_timeout, "the backend received exactly what the frontend sent");
        backend.Command("stop");
    }
}
