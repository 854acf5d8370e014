using FastBridge.Tests.Guests;

namespace FastBridge.Tests.VhostUser;

/// <summary>
/// QEMU guests on FastBridge vhost-user ports reach each other and a namespace host behind a TAP; TCP (busybox nc)
/// carries a megabyte intact in both directions; a guest whose QEMU is killed and restarted comes back on the same
/// port without restarting the switch; and every frame the switch saw is delivered or dropped under a named reason.
/// </summary>
[Collection(nameof(Hosts.EndToEndCollection))]
public sealed class VhostUserGuestTests(VhostUserGuestsFixture rig) : IClassFixture<VhostUserGuestsFixture>
{
    private static readonly TimeSpan s_transferTimeout = TimeSpan.FromSeconds(120);

    [SkippableFact]
    public void Each_guest_pings_the_namespace_host()
    {
        rig.Require();
        for (int i = 0; i < 2; i++)
        {
            GuestTraffic.AssertPings(rig.Guest(i), VhostUserGuestsFixture.HostAddress, "ping to the namespace host", rig.Switch.Describe);
        }
    }

    [SkippableFact]
    public void The_guests_ping_each_other()
    {
        rig.Require();
        for (int i = 0; i < 2; i++)
        {
            GuestTraffic.AssertPings(rig.Guest(i), VhostUserGuestsFixture.GuestAddress(1 - i), "ping to the other guest", rig.Switch.Describe);
        }
    }

    [SkippableFact]
    public void A_tcp_transfer_from_guest_to_host_arrives_intact()
    {
        rig.Require();
        GuestTraffic.AssertTransferToHost(rig.Guest(0), rig.Host, rig.Image.Busybox, VhostUserGuestsFixture.HostAddress, 5001,
            s_transferTimeout, rig.Switch.Describe);
    }

    [SkippableFact]
    public void A_tcp_transfer_from_host_to_guest_arrives_intact()
    {
        rig.Require();
        GuestTraffic.AssertTransferFromHost(rig.Host, rig.Image.Busybox, rig.Guest(1), VhostUserGuestsFixture.GuestAddress(1), 5002,
            s_transferTimeout, rig.Switch.Describe);
    }

    [SkippableFact]
    public void A_tcp_transfer_between_the_guests_arrives_intact()
    {
        rig.Require();
        GuestTraffic.AssertTransferBetween(rig.Guest(0), rig.Guest(1), VhostUserGuestsFixture.GuestAddress(1), 5003, s_transferTimeout,
            rig.Switch.Describe);
    }

    [SkippableFact]
    public void Every_frame_the_switch_saw_is_delivered_or_dropped_under_a_named_reason()
    {
        rig.Require();
        rig.Guest(0).Exec($"ping -c 3 -W 5 {VhostUserGuestsFixture.GuestAddress(1)}");
        foreach (string port in (string[])["g0", "g1", rig.Tap])
        {
            PortCounters c = rig.Switch.Port(port);
            Assert.True(c.RxFrames > 0 && c.TxFrames > 0, $"{c}: moved nothing");
            Assert.True(c.Forwarded <= c.RxFrames && c.TxFrames <= c.TxOffered, c.ToString());
            Assert.Equal(c.TotalDrops, c.RxFrames - c.Forwarded + (c.TxOffered - c.TxFrames));
        }
    }

    [SkippableFact]
    public void A_guest_whose_qemu_is_killed_and_restarted_reaches_the_host_and_the_other_guest_again()
    {
        rig.Require();
        int oldPid = rig.Guest(1).Pid;
        QemuGuest guest = rig.RestartGuest(1);

        Assert.NotEqual(oldPid, guest.Pid);
        Assert.False(rig.Switch.Process.HasExited, rig.Switch.Describe("the switch exited when QEMU was killed"));
        GuestTraffic.AssertPings(guest, VhostUserGuestsFixture.HostAddress, "ping to the host after the restart", rig.Switch.Describe);
        GuestTraffic.AssertPings(guest, VhostUserGuestsFixture.GuestAddress(0), "ping to the other guest after the restart", rig.Switch.Describe);
    }
}
