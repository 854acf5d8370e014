using FastBridge.Tests.Hosts;

namespace FastBridge.Tests.Guests;

/// <summary>QEMU guests on taps in a namespace, bridged by the kernel: they reach the namespace host and each other,
/// and TCP (busybox nc) carries a megabyte intact both ways. Proves the guest rig the vhost-user, netdev and stream
/// port tests build on.</summary>
[Collection(nameof(EndToEndCollection))]
public sealed class TapGuestTests(TapGuestsFixture rig) : IClassFixture<TapGuestsFixture>
{
    private static readonly TimeSpan s_transferTimeout = TimeSpan.FromSeconds(90);

    [SkippableFact]
    public void Each_guest_pings_the_namespace_host()
    {
        rig.Boot.Require();
        for (int i = 0; i < 2; i++)
        {
            GuestTraffic.AssertPings(rig.Guest(i), TapGuestsFixture.HostAddress, "ping to the namespace host");
        }
    }

    [SkippableFact]
    public void The_guests_ping_each_other()
    {
        rig.Boot.Require();
        for (int i = 0; i < 2; i++)
        {
            GuestTraffic.AssertPings(rig.Guest(i), TapGuestsFixture.GuestAddress(1 - i), "ping to the other guest");
        }
    }

    [SkippableFact]
    public void A_tcp_transfer_from_guest_to_host_arrives_intact()
    {
        rig.Boot.Require();
        GuestTraffic.AssertTransferToHost(rig.Guest(0), rig.Namespace, rig.Image.Busybox, TapGuestsFixture.HostAddress, 5001, s_transferTimeout);
    }

    [SkippableFact]
    public void A_tcp_transfer_from_host_to_guest_arrives_intact()
    {
        rig.Boot.Require();
        GuestTraffic.AssertTransferFromHost(rig.Namespace, rig.Image.Busybox, rig.Guest(1), TapGuestsFixture.GuestAddress(1), 5002, s_transferTimeout);
    }

    [SkippableFact]
    public void A_stuck_command_times_out_and_the_console_still_answers()
    {
        rig.Boot.Require();
        QemuGuest guest = rig.Guest(0);
        string loop = guest.Exec("echo $$");
        Assert.Throws<TimeoutException>(() => guest.Run("sleep 600", TimeSpan.FromSeconds(2)));

        // Ctrl-C ended the sleep, not the command loop: the same shell runs the next commands, each with its exit code.
        Assert.Equal(loop, guest.Exec("echo $$"));
        Assert.Equal((3, "out\n"), guest.Run("echo out; exit_with() { return $1; }; exit_with 3"));
    }

    [SkippableFact]
    public void A_guest_whose_qemu_is_killed_and_restarted_reaches_the_host_again()
    {
        rig.Boot.Require();
        int oldPid = rig.Guest(1).Pid;
        QemuGuest guest = rig.RestartGuest(1);

        Assert.NotEqual(oldPid, guest.Pid);
        Assert.False(Directory.Exists($"/proc/{oldPid}/fd"), $"the old QEMU (pid {oldPid}) is still running");
        GuestTraffic.AssertPings(guest, TapGuestsFixture.HostAddress, "ping after the restart");
    }
}
