using System.Text.Json;
using FastBridge.Ports.VhostUser;
using FastBridge.Tests.Infrastructure;
using FastBridge.Tests.Ports.VhostUser;

namespace FastBridge.Tests.VhostUser;

/// <summary>
/// <c>fastbridge run --vhost-user-require-sealed</c> and <c>fastbridge port add NAME --vhost-user PATH
/// --require-sealed</c>: a frontend whose guest memory cannot be sealed against shrinking (a memfd without
/// MFD_ALLOW_SEALING, as unsealable as DPDK's hugetlbfs files) is turned away and the port says why; one whose memory
/// can be sealed (QEMU's memfd backend) plugs in. Without the option both plug in (the default policy). Why a
/// frontend was turned away shows in <c>port list --json</c> as the port's <c>last_disconnect</c>.
/// </summary>
[Collection(nameof(Hosts.EndToEndCollection))]
public sealed class VhostUserSealedMemoryCliTests
{
    [Fact]
    public void Run_with_require_sealed_turns_away_unsealable_guest_memory_and_takes_sealable()
    {
        using var folder = new SocketFolder();
        string socket = folder.Path("vs0");
        using var sw = new VhostSwitch($"--vhost-user {socket} --vhost-user-require-sealed");
        AssertTurnedAway(sw, socket, "vs0");
        AssertPlugsIn(sw, socket, "vs0", sealable: true);
    }

    [Fact]
    public void Port_add_with_require_sealed_turns_away_unsealable_guest_memory_and_without_it_takes_it()
    {
        using var folder = new SocketFolder();
        using var sw = new VhostSwitch($"--vhost-user {folder.Path("vs1")}");
        string strict = folder.Path("vs2");
        string relaxed = folder.Path("vs3");
        using (CliProcess add = sw.Cli($"port add vs2 --vhost-user {strict} --require-sealed"))
        {
            Assert.True(add.ExitCode == 0, add.Stderr);
        }

        using (CliProcess add = sw.Cli($"port add vs3 --vhost-user {relaxed}"))
        {
            Assert.True(add.ExitCode == 0, add.Stderr);
        }

        AssertTurnedAway(sw, strict, "vs2");
        AssertPlugsIn(sw, strict, "vs2", sealable: true);
        AssertPlugsIn(sw, relaxed, "vs3", sealable: false);
    }

    [Fact]
    public void Require_sealed_without_a_vhost_user_socket_is_a_usage_error()
    {
        using var folder = new SocketFolder();
        using var sw = new VhostSwitch($"--vhost-user {folder.Path("vs4")}");
        using CliProcess cli = sw.Cli("port add vs5 --require-sealed");
        Assert.Equal(2, cli.ExitCode);
        Assert.Contains("--require-sealed goes with --vhost-user", cli.Stderr, StringComparison.Ordinal);
    }

    /// <summary>A frontend with unsealable memory sends its memory table: the switch closes the connection, the port stays down saying why.</summary>
    private static void AssertTurnedAway(VhostSwitch sw, string socket, string port)
    {
        using var guest = new TestFrontend(socket, sealable: false);
        guest.Send(VhostRequest.SetMemTable,
            TestFrontend.MemTable(TestFrontend.GuestBase, TestFrontend.MemorySize, (ulong)guest.Base), guest.MemoryFd);
        Assert.True(guest.WaitClosed(), "the switch kept a frontend whose memory cannot be sealed");
        Assert.True(EndToEnd.WaitFor(() => LastDisconnect(sw, port).Contains("cannot be sealed", StringComparison.Ordinal), VhostSwitch.Timeout),
            sw.Describe($"port {port}: {sw.PortEntry(port)}"));
        Assert.Equal("down", sw.PortEntry(port).GetProperty("state").GetString());
    }

    /// <summary>A frontend negotiates the whole device: the port comes up.</summary>
    private static void AssertPlugsIn(VhostSwitch sw, string socket, string port, bool sealable)
    {
        using var guest = new TestFrontend(socket, sealable);
        guest.Negotiate();
        Assert.True(EndToEnd.WaitFor(() => sw.PortEntry(port).GetProperty("state").GetString() == "up", VhostSwitch.Timeout),
            sw.Describe($"port {port} did not come up: {sw.PortEntry(port)}"));
    }

    private static string LastDisconnect(VhostSwitch sw, string port) =>
        sw.PortEntry(port).TryGetProperty("last_disconnect", out JsonElement reason) ? reason.GetString() ?? "" : "";
}
