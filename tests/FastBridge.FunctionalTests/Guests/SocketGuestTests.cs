using FastBridge.Cli.Demo;
using FastBridge.Tests.Infrastructure;
using FastBridge.Tests.VhostUser;

namespace FastBridge.Tests.Guests;

/// <summary>
/// What every socket port kind (stream, dgram) must do with a real QEMU guest on it: the guest and a namespace host
/// behind a TAP reach each other (ping, and a megabyte of TCP each way); every frame the switch saw is delivered or
/// dropped under a named reason; a QEMU that is killed and started again gets its port back; the switch's socket is
/// 0600, or 0660 with the group given. The derived classes add each kind's hostile peers.
/// </summary>
public abstract class SocketGuestTests<TFixture>(TFixture rig)
    where TFixture : SocketGuestFixture
{
    private static readonly TimeSpan s_transferTimeout = TimeSpan.FromSeconds(120);

    /// <summary>The class's booted guest, switch and namespace host.</summary>
    protected TFixture Rig { get; } = rig;

    /// <summary>The first of the two TCP ports the transfers listen on (each class its own, as they share no namespace).</summary>
    protected abstract int TransferPort { get; }

    [SkippableFact]
    public void The_guest_pings_the_namespace_host_and_the_host_pings_the_guest()
    {
        Rig.Boot.Require();
        GuestTraffic.AssertPings(Rig.Guest, Rig.HostAddress, "ping to the namespace host", Rig.Switch.Describe);
        (int code, string output) = Rig.Host.TryExec($"ping -c 2 -W 5 {Rig.GuestAddress}");
        Assert.True(code == 0, Rig.Switch.Describe(Rig.Guest.Describe($"ping from the host failed:\n{output}")));
        var g0 = Rig.Switch.PortEntry("g0");
        Assert.Equal(Rig.Kind, g0.GetProperty("kind").GetString());
        if (Rig.GuestSocket != Rig.SwitchSocket)
        {
            Assert.Contains($"(peer {Rig.GuestSocket})", g0.GetProperty("device").GetString());
        }
    }

    [SkippableFact]
    public void A_tcp_transfer_from_guest_to_host_arrives_intact()
    {
        Rig.Boot.Require();
        GuestTraffic.AssertTransferToHost(Rig.Guest, Rig.Host, Rig.Image.Busybox, Rig.HostAddress, TransferPort,
            s_transferTimeout, Rig.Switch.Describe);
    }

    [SkippableFact]
    public void A_tcp_transfer_from_host_to_guest_arrives_intact()
    {
        Rig.Boot.Require();
        GuestTraffic.AssertTransferFromHost(Rig.Host, Rig.Image.Busybox, Rig.Guest, Rig.GuestAddress, TransferPort + 1,
            s_transferTimeout, Rig.Switch.Describe);
    }

    [SkippableFact]
    public void Every_frame_the_switch_saw_is_delivered_or_dropped_under_a_named_reason()
    {
        Rig.Boot.Require();
        Rig.Guest.Exec($"ping -c 3 -W 5 {Rig.HostAddress}");
        foreach (string port in (string[])["g0", Rig.Tap])
        {
            var c = Rig.Switch.Port(port);
            Assert.True(c.RxFrames > 0 && c.TxFrames > 0, $"{c}: moved nothing");
            Assert.True(c.Forwarded <= c.RxFrames && c.TxFrames <= c.TxOffered, c.ToString());
            Assert.Equal(c.TotalDrops, c.RxFrames - c.Forwarded + (c.TxOffered - c.TxFrames));
        }
    }

    [SkippableFact]
    public void A_guest_whose_qemu_is_killed_and_restarted_gets_its_port_back_and_reaches_the_host_again()
    {
        Rig.Boot.Require();
        int oldPid = Rig.Guest.Pid;
        QemuGuest guest = Rig.RestartGuest();

        Assert.NotEqual(oldPid, guest.Pid);
        Assert.False(Rig.Switch.Process.HasExited, Rig.Switch.Describe("the switch exited when QEMU was killed"));
        GuestTraffic.AssertPings(guest, Rig.HostAddress, "ping to the host after the restart", Rig.Switch.Describe);
        Assert.Equal("up", Rig.Switch.PortEntry("g0").GetProperty("state").GetString());
        AssertAfterRestart();
    }

    [SkippableFact]
    public void The_sockets_are_0600_or_0660_with_the_group_given()
    {
        Rig.Boot.Require();
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Rig.SwitchSocket));

        string path = Rig.Folder.Path("grp");
        CliProcess add = Rig.Switch.Cli($"port add grp --{Rig.Kind} {path} --socket-group 65534");
        Assert.True(add.ExitCode == 0, Rig.Switch.Describe($"port add grp --{Rig.Kind} --socket-group failed: {add.Stderr}"));
        try
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite,
                File.GetUnixFileMode(path));
            Assert.Equal("65534", NetworkNamespace.Run("stat", $"-c %g {path}").Trim());
        }
        finally
        {
            Rig.Switch.Cli("port del grp");
        }
    }

    /// <summary>A kind's own checks once its restarted guest is back (nothing by default).</summary>
    protected virtual void AssertAfterRestart()
    {
    }
}
