using System.Security.Cryptography;
using FastBridge.Cli.Demo;

namespace FastBridge.Tests.Guests;

/// <summary>
/// The traffic every guest test checks, whatever connects the guest: ping, and a megabyte over TCP (busybox nc) whose
/// receiver answers with the md5 of what it got (<c>nc -l -p P -e md5sum</c>), so the sender sees whether it arrived
/// intact. Each assertion's message is the guest's console (<see cref="QemuGuest.Describe"/>), passed through
/// <c>describe</c> when the caller has more to show (the switch's log).
/// </summary>
internal static class GuestTraffic
{
    /// <summary>Three pings from <paramref name="guest"/> to <paramref name="address"/>, all answered.</summary>
    public static void AssertPings(QemuGuest guest, string address, string what, Func<string, string>? describe = null)
    {
        (int code, string output) = guest.Run($"ping -c 3 -W 5 {address}");
        Assert.True(code == 0, Message(guest, $"{what} failed:\n{output}", describe));
    }

    /// <summary>A random megabyte from <paramref name="guest"/> to a busybox nc listening in <paramref name="host"/>.</summary>
    public static void AssertTransferToHost(QemuGuest guest, NetworkNamespace host, string busybox, string hostAddress, int port,
        TimeSpan timeout, Func<string, string>? describe = null)
    {
        string sent = guest.Exec("dd if=/dev/urandom of=/tmp/up bs=1k count=1024 2>/dev/null && md5sum /tmp/up")[..32];

        // The host listens and answers with the md5 of what it received; the guest prints that answer.
        Task<(int ExitCode, string Output)> listener =
            Task.Run(() => host.TryExec($"{busybox} nc -l -p {port} -e {busybox} md5sum", (int)timeout.TotalMilliseconds));
        (int code, string output) = guest.Run(
            $"for i in $(seq 100); do nc {hostAddress} {port} </tmp/up && break; sleep 0.1; done", timeout);

        Assert.True(code == 0 && output.Contains($"{sent}  -", StringComparison.Ordinal),
            Message(guest, $"the host did not receive the {sent} megabyte: guest says\n{output}", describe));
        Assert.True(listener.Wait(timeout), "the host's nc did not exit after the transfer");
        Assert.Equal(0, listener.Result.ExitCode);
    }

    /// <summary>A random megabyte from a busybox nc in <paramref name="host"/> to <paramref name="guest"/>.</summary>
    public static void AssertTransferFromHost(NetworkNamespace host, string busybox, QemuGuest guest, string guestAddress, int port,
        TimeSpan timeout, Func<string, string>? describe = null)
    {
        byte[] data = RandomNumberGenerator.GetBytes(1 << 20);
        string sent = Convert.ToHexStringLower(MD5.HashData(data));
        string file = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(file, data);
            guest.Exec($"nc -l -p {port} -e md5sum &");
            (int code, string output) = host.TryExec(
                $"sh -c \"for i in $(seq 100); do {busybox} nc {guestAddress} {port} <{file} && break; sleep 0.1; done\"",
                (int)timeout.TotalMilliseconds);

            Assert.True(code == 0 && output.Contains($"{sent}  -", StringComparison.Ordinal),
                Message(guest, $"the guest did not receive the {sent} megabyte: host's nc says\n{output}", describe));
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>A random megabyte from <paramref name="sender"/> to <paramref name="receiver"/>.</summary>
    public static void AssertTransferBetween(QemuGuest sender, QemuGuest receiver, string receiverAddress, int port, TimeSpan timeout,
        Func<string, string>? describe = null)
    {
        receiver.Exec($"nc -l -p {port} -e md5sum &");
        string sent = sender.Exec("dd if=/dev/urandom of=/tmp/peer bs=1k count=1024 2>/dev/null && md5sum /tmp/peer")[..32];
        (int code, string output) = sender.Run(
            $"for i in $(seq 100); do nc {receiverAddress} {port} </tmp/peer && break; sleep 0.1; done", timeout);

        Assert.True(code == 0 && output.Contains($"{sent}  -", StringComparison.Ordinal),
            Message(sender, $"the other guest did not receive the {sent} megabyte: sender says\n{output}", describe));
    }

    private static string Message(QemuGuest guest, string what, Func<string, string>? describe) =>
        describe is null ? guest.Describe(what) : describe(guest.Describe(what));
}
