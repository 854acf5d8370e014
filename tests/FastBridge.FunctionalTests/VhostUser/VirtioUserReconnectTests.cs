using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.VhostUser;

/// <summary>
/// A frontend that vanishes (testpmd killed with SIGKILL, as a crashed VM's QEMU) takes its port down and its stations
/// out of the table; a new frontend on the same sockets brings frames back without restarting the switch.
/// </summary>
[Collection(nameof(Hosts.EndToEndCollection))]
public sealed class VirtioUserReconnectTests
{
    private const string Mac0 = "02:00:00:76:00:01";
    private const string Mac1 = "02:00:00:76:00:02";
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(90);

    [SkippableFact]
    public void A_killed_frontend_takes_its_port_down_and_a_new_one_moves_frames_again()
    {
        RigStart.RequirePortKind();
        EndToEnd.RequirePrivileges();
        Testpmd.Require();
        using var folder = new SocketFolder();
        string s0 = folder.Path("vu0"), s1 = folder.Path("vu1");
        using var sw = new VhostSwitch($"--vhost-user vu0={s0} --vhost-user vu1={s1}");
        Assert.True(EndToEnd.WaitFor(() => File.Exists(s0) && File.Exists(s1), s_timeout), sw.Describe("no sockets"));

        var first = Loop(s0, s1);
        Assert.True(EndToEnd.WaitFor(() => sw.MacsOn("vu0").Contains(Mac0), s_timeout), sw.Describe("Mac0 not learned on vu0"));
        Assert.True(Connected(sw, "vu0"), sw.Describe($"vu0 not shown connected: {sw.PortEntry("vu0")}"));

        first.Kill();
        Assert.True(EndToEnd.WaitFor(() => !Connected(sw, "vu0") && !Connected(sw, "vu1"), s_timeout),
            sw.Describe($"ports still shown connected after the frontend died: {sw.PortEntry("vu0")}"));
        Assert.True(EndToEnd.WaitFor(() => sw.MacsOn("vu0").Count == 0 && sw.MacsOn("vu1").Count == 0, s_timeout),
            sw.Describe("the dead frontend's stations are still in the table"));
        Assert.False(sw.Process.HasExited, sw.Describe("the switch exited"));

        using var second = Loop(s0, s1);
        var stats = second.Stats();
        Assert.True(stats.All(p => p.RxErrors == 0), second.Describe("receive errors"));
        Assert.True(Connected(sw, "vu0") && Connected(sw, "vu1"), sw.Describe($"not connected again: {sw.PortEntry("vu0")}"));
    }

    /// <summary>A testpmd io loop on both sockets, already moving frames (the caller disposes or kills it).</summary>
    private static Testpmd Loop(string s0, string s1)
    {
        var testpmd = Testpmd.Run(new TestpmdOptions
        {
            Vdevs = [Testpmd.VirtioUser(0, s0, Mac0), Testpmd.VirtioUser(1, s1, Mac1)],
            EthPeers = [Mac1, Mac0],
        });
        try
        {
            testpmd.SetTxPackets(60);
            testpmd.StartTxFirst(1);
            testpmd.WaitForStats(s => s[0].RxPackets > 1_000 && s[1].RxPackets > 1_000, s_timeout, "1000 frames round the loop");
            return testpmd;
        }
        catch
        {
            testpmd.Dispose();
            throw;
        }
    }

    /// <summary>Whether <c>port list</c> shows a frontend connected on the port (and the port up).</summary>
    private static bool Connected(VhostSwitch sw, string port)
    {
        var entry = sw.PortEntry(port);
        bool up = entry.TryGetProperty("state", out var state) && state.GetString() == "up";
        bool connected = !entry.TryGetProperty("connected", out var c) || c.ValueKind == System.Text.Json.JsonValueKind.True;
        return up && connected;
    }
}
