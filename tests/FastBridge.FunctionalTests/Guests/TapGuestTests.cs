using System.Security.Cryptography;
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
            (int code, string output) = rig.Guest(i).Run($"ping -c 3 -W 5 {TapGuestsFixture.HostAddress}");
            Assert.True(code == 0, rig.Guest(i).Describe($"ping to the namespace host failed:\n{output}"));
        }
    }

    [SkippableFact]
    public void The_guests_ping_each_other()
    {
        rig.Boot.Require();
        for (int i = 0; i < 2; i++)
        {
            (int code, string output) = rig.Guest(i).Run($"ping -c 3 -W 5 {TapGuestsFixture.GuestAddress(1 - i)}");
            Assert.True(code == 0, rig.Guest(i).Describe($"ping to the other guest failed:\n{output}"));
        }
    }

    [SkippableFact]
    public void A_tcp_transfer_from_guest_to_host_arrives_intact()
    {
        rig.Boot.Require();
        QemuGuest guest = rig.Guest(0);
        string sent = guest.Exec("dd if=/dev/urandom of=/tmp/up bs=1k count=1024 2>/dev/null && md5sum /tmp/up")[..32];

        // The host listens and answers with the md5 of what it received; the guest prints that answer.
        string bb = rig.Image.Busybox;
        Task<(int ExitCode, string Output)> listener =
            Task.Run(() => rig.Namespace.TryExec($"{bb} nc -l -p 5001 -e {bb} md5sum", (int)s_transferTimeout.TotalMilliseconds));
        (int code, string output) = guest.Run(
            $"for i in $(seq 100); do nc {TapGuestsFixture.HostAddress} 5001 </tmp/up && break; sleep 0.1; done", s_transferTimeout);

        Assert.True(code == 0 && output.Contains($"{sent}  -", StringComparison.Ordinal),
            guest.Describe($"the host did not receive the {sent} megabyte: guest says\n{output}"));
        Assert.True(listener.Wait(s_transferTimeout), "the host's nc did not exit after the transfer");
        Assert.Equal(0, listener.Result.ExitCode);
    }

    [SkippableFact]
    public void A_tcp_transfer_from_host_to_guest_arrives_intact()
    {
        rig.Boot.Require();
        QemuGuest guest = rig.Guest(1);
        byte[] data = RandomNumberGenerator.GetBytes(1 << 20);
        string sent = Convert.ToHexStringLower(MD5.HashData(data));
        string file = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(file, data);
            guest.Exec("nc -l -p 5002 -e md5sum &");
            string bb = rig.Image.Busybox;
            (int code, string output) = rig.Namespace.TryExec(
                $"sh -c \"for i in $(seq 100); do {bb} nc {TapGuestsFixture.GuestAddress(1)} 5002 <{file} && break; sleep 0.1; done\"",
                (int)s_transferTimeout.TotalMilliseconds);

            Assert.True(code == 0 && output.Contains($"{sent}  -", StringComparison.Ordinal),
                guest.Describe($"the guest did not receive the {sent} megabyte: host's nc says\n{output}"));
        }
        finally
        {
            File.Delete(file);
        }
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
        (int code, string output) = guest.Run($"ping -c 3 -W 5 {TapGuestsFixture.HostAddress}");
        Assert.True(code == 0, guest.Describe($"ping after the restart failed:\n{output}"));
    }
}
