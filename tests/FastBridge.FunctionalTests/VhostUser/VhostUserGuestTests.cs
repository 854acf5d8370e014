using System.Security.Cryptography;
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
            (int code, string output) = rig.Guest(i).Run($"ping -c 3 -W 5 {VhostUserGuestsFixture.HostAddress}");
            Assert.True(code == 0, rig.Switch.Describe(rig.Guest(i).Describe($"ping to the namespace host failed:\n{output}")));
        }
    }

    [SkippableFact]
    public void The_guests_ping_each_other()
    {
        rig.Require();
        for (int i = 0; i < 2; i++)
        {
            (int code, string output) = rig.Guest(i).Run($"ping -c 3 -W 5 {VhostUserGuestsFixture.GuestAddress(1 - i)}");
            Assert.True(code == 0, rig.Switch.Describe(rig.Guest(i).Describe($"ping to the other guest failed:\n{output}")));
        }
    }

    [SkippableFact]
    public void A_tcp_transfer_from_guest_to_host_arrives_intact()
    {
        rig.Require();
        QemuGuest guest = rig.Guest(0);
        string sent = guest.Exec("dd if=/dev/urandom of=/tmp/up bs=1k count=1024 2>/dev/null && md5sum /tmp/up")[..32];

        // The host listens and answers with the md5 of what it received; the guest prints that answer.
        string bb = rig.Image.Busybox;
        Task<(int ExitCode, string Output)> listener =
            Task.Run(() => rig.Host.TryExec($"{bb} nc -l -p 5001 -e {bb} md5sum", (int)s_transferTimeout.TotalMilliseconds));
        (int code, string output) = guest.Run(
            $"for i in $(seq 100); do nc {VhostUserGuestsFixture.HostAddress} 5001 </tmp/up && break; sleep 0.1; done", s_transferTimeout);

        Assert.True(code == 0 && output.Contains($"{sent}  -", StringComparison.Ordinal),
            rig.Switch.Describe(guest.Describe($"the host did not receive the {sent} megabyte: guest says\n{output}")));
        Assert.True(listener.Wait(s_transferTimeout), "the host's nc did not exit after the transfer");
        Assert.Equal(0, listener.Result.ExitCode);
    }

    [SkippableFact]
    public void A_tcp_transfer_from_host_to_guest_arrives_intact()
    {
        rig.Require();
        QemuGuest guest = rig.Guest(1);
        byte[] data = RandomNumberGenerator.GetBytes(1 << 20);
        string sent = Convert.ToHexStringLower(MD5.HashData(data));
        string file = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(file, data);
            guest.Exec("nc -l -p 5002 -e md5sum &");
            string bb = rig.Image.Busybox;
            (int code, string output) = rig.Host.TryExec(
                $"sh -c \"for i in $(seq 100); do {bb} nc {VhostUserGuestsFixture.GuestAddress(1)} 5002 <{file} && break; sleep 0.1; done\"",
                (int)s_transferTimeout.TotalMilliseconds);

            Assert.True(code == 0 && output.Contains($"{sent}  -", StringComparison.Ordinal),
                rig.Switch.Describe(guest.Describe($"the guest did not receive the {sent} megabyte: host's nc says\n{output}")));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [SkippableFact]
    public void A_tcp_transfer_between_the_guests_arrives_intact()
    {
        rig.Require();
        QemuGuest sender = rig.Guest(0), receiver = rig.Guest(1);
        receiver.Exec("nc -l -p 5003 -e md5sum &");
        string sent = sender.Exec("dd if=/dev/urandom of=/tmp/peer bs=1k count=1024 2>/dev/null && md5sum /tmp/peer")[..32];
        (int code, string output) = sender.Run(
            $"for i in $(seq 100); do nc {VhostUserGuestsFixture.GuestAddress(1)} 5003 </tmp/peer && break; sleep 0.1; done", s_transferTimeout);

        Assert.True(code == 0 && output.Contains($"{sent}  -", StringComparison.Ordinal),
            rig.Switch.Describe(sender.Describe($"the other guest did not receive the {sent} megabyte: sender says\n{output}")));
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
        (int code, string output) = guest.Run($"ping -c 3 -W 5 {VhostUserGuestsFixture.HostAddress}");
        Assert.True(code == 0, rig.Switch.Describe(guest.Describe($"ping to the host after the restart failed:\n{output}")));
        (code, output) = guest.Run($"ping -c 3 -W 5 {VhostUserGuestsFixture.GuestAddress(0)}");
        Assert.True(code == 0, rig.Switch.Describe(guest.Describe($"ping to the other guest after the restart failed:\n{output}")));
    }
}
