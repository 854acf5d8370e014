using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Cli;

/// <summary>
/// <c>fastbridge run</c> as a systemd Type=notify service: READY=1 on the notify socket only once its TAPs exist and
/// its control socket answers, STOPPING=1 and a clean exit on SIGTERM, and journald's log format under a journal.
/// The test owns the notify socket (a unix datagram socket, as systemd's), so no service manager is needed.
/// </summary>
[Collection(nameof(Hosts.EndToEndCollection))]
public sealed class ServiceTests
{
    private static TimeSpan Timeout => RunningSwitch.Timeout;

    [SkippableFact]
    public void Readiness_is_notified_after_the_taps_exist_and_sigterm_stops_it_cleanly()
    {
        EndToEnd.RequirePrivileges();
        string notifyPath = Path.Combine(Path.GetTempPath(), $"fb-notify-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}.sock");
        string controlPath = ControlRig.UniqueSocketPath();
        string[] taps = [TapRig.UniqueName(), TapRig.UniqueName()];
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(notifyPath));
        notify.ReceiveTimeout = (int)Timeout.TotalMilliseconds;
        try
        {
            using var run = CliProcess.Start($"run --tap {taps[0]} --tap {taps[1]} --control {controlPath}", wrapper: $"env NOTIFY_SOCKET={notifyPath}");
            string ready = ReceiveUntil(notify, "READY=1");
            Assert.Contains("READY=1", ready);
            foreach (string tap in taps)
            {
                Assert.True(Directory.Exists($"/sys/class/net/{tap}"), $"READY=1 came before {tap} existed");
            }

            using (CliProcess status = CliProcess.Run($"status --control {controlPath}", Timeout))
            {
                Assert.True(status.ExitCode == 0, status.Stderr); // the control socket was listening at READY=1 already
            }

            run.Signal("TERM");
            Assert.Contains("STOPPING=1", ReceiveUntil(notify, "STOPPING=1"));
            Assert.True(run.WaitForExit(Timeout), "no exit after SIGTERM");
            Assert.Equal(0, run.ExitCode);
            Assert.All(taps, tap => Assert.False(Directory.Exists($"/sys/class/net/{tap}"), $"{tap} left behind"));
        }
        finally
        {
            File.Delete(notifyPath);
            File.Delete(controlPath);
        }
    }

    [SkippableFact]
    public void A_switch_that_cannot_start_never_notifies_readiness()
    {
        EndToEnd.RequirePrivileges();
        string notifyPath = Path.Combine(Path.GetTempPath(), $"fb-notify-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}.sock");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(notifyPath));
        try
        {
            // a control socket path in a directory that cannot be created: the TAP opens, the socket does not
            using var run = CliProcess.Run($"run --tap {TapRig.UniqueName()} --control /proc/fastbridge-test/x.sock", Timeout, wrapper: $"env NOTIFY_SOCKET={notifyPath}");
            Assert.Equal(1, run.ExitCode);
            Assert.StartsWith("fastbridge: ", run.Stderr.Trim().Split('\n')[^1]);
            Assert.Equal(0, notify.Available);
        }
        finally
        {
            File.Delete(notifyPath);
        }
    }

    [SkippableFact]
    public void Under_a_journal_logs_carry_journald_priorities()
    {
        EndToEnd.RequirePrivileges();
        string controlPath = ControlRig.UniqueSocketPath();
        using var run = CliProcess.Start($"run --tap {TapRig.UniqueName()} --control {controlPath}", wrapper: "env JOURNAL_STREAM=8:12345");
        try
        {
            Assert.True(EndToEnd.WaitFor(() => run.Stderr.Contains("started", StringComparison.Ordinal) || run.HasExited, Timeout), run.Stderr);
            string started = run.Stderr.Split('\n').First(line => line.Contains("started", StringComparison.Ordinal));
            Assert.StartsWith("<6>", started); // informational, no timestamp: the journal adds its own
        }
        finally
        {
            run.Signal("TERM");
            run.WaitForExit(Timeout);
            File.Delete(controlPath);
        }
    }

    [Fact]
    public void The_shipped_unit_is_a_hardened_notify_instance_unit_that_systemd_accepts()
    {
        string unit = File.ReadAllText(Path.Combine(Repository.Root, "dist", "systemd", "fastbridge@.service"));
        foreach (string line in new[]
        {
            "Type=notify", "ExecStart=/usr/local/bin/fastbridge run --config /etc/fastbridge/%i.json",
            "CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW", "AmbientCapabilities=CAP_NET_ADMIN CAP_NET_RAW",
            "ProtectSystem=strict", "RuntimeDirectory=fastbridge",
        })
        {
            Assert.Contains(line, unit);
        }

        if (!File.Exists("/usr/bin/systemd-analyze"))
        {
            return; // the text checks above still hold; systemd's own check needs systemd installed
        }

        // systemd's own parser, with ExecStart pointing at the command as built here
        string dir = Directory.CreateTempSubdirectory("fastbridge-unit-").FullName;
        try
        {
            string command = Path.Combine(AppContext.BaseDirectory, "FastBridge.Cli"); // the apphost `fastbridge` is a copy of
            File.WriteAllText(Path.Combine(dir, "fastbridge@test.service"), unit.Replace("/usr/local/bin/fastbridge", command, StringComparison.Ordinal));
            var (exitCode, output) = FastBridge.Cli.Demo.NetworkNamespace.TryRun("systemd-analyze", $"verify {dir}/fastbridge@test.service");
            Assert.True(exitCode == 0 && output.Trim() == "", output);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string ReceiveUntil(Socket socket, string wanted)
    {
        var buffer = new byte[4096];
        var seen = new StringBuilder();
        while (true)
        {
            int length = socket.Receive(buffer); // bounded by ReceiveTimeout: throws when nothing comes in time
            string message = Encoding.UTF8.GetString(buffer, 0, length);
            seen.Append(message).Append('|');
            if (message.Contains(wanted, StringComparison.Ordinal))
            {
                return seen.ToString();
            }
        }
    }
}
