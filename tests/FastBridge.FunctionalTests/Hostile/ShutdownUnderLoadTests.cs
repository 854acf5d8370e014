using System.Diagnostics;
using System.Security.Cryptography;
using FastBridge.Cli.Demo;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Hostile;

/// <summary>
/// <c>fastbridge run</c> stopped by SIGTERM while a ping flood crosses it: it exits 0, promptly, and every device it
/// created is gone (from the namespaces they were moved into, too).
/// </summary>
/// <remarks>
/// Config: the CLI with two TAPs, each moved into its own namespace with 198.18.0.1/24 and .2/24.
/// Test: <c>ping -f -w 10</c> from one namespace to the other (bounded by its deadline); once the receiving side's
/// counter shows the flood is flowing, SIGTERM. Verify: exit code 0 within 5 s (the README promises a second; the bound
/// is generous for a loaded CI machine, the measured time is printed), "stopped" logged, both devices gone.
/// </remarks>
[Collection(nameof(Hosts.EndToEndCollection))]
public sealed class ShutdownUnderLoadTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_exitBound = TimeSpan.FromSeconds(5);

    [SkippableFact]
    public void Sigterm_during_a_ping_flood_exits_cleanly_and_promptly_and_releases_every_device()
    {
        EndToEnd.RequirePrivileges();
        string suffix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
        string a = $"fbs{suffix}a";
        string b = $"fbs{suffix}b";
        using var nsA = NetworkNamespace.Create("fbs");
        using var nsB = NetworkNamespace.Create("fbs");
        using var cli = CliProcess.Start($"run --tap {a} --tap {b} --workers 2");
        Task<(int ExitCode, string Output)>? flood = null;
        try
        {
            Assert.True(EndToEnd.WaitFor(() => cli.Stderr.Contains("started", StringComparison.Ordinal) || cli.HasExited, s_timeout),
                "fastbridge run did not start");
            Assert.False(cli.HasExited, cli.Stderr);
            Configure(nsA, a, "198.18.0.1");
            Configure(nsB, b, "198.18.0.2");
            Assert.Equal(0, nsA.TryExec("ping -c 2 -i 0.1 -W 2 198.18.0.2").ExitCode);

            long before = nsB.ReadCounter(b, "rx_packets");
            flood = Task.Run(() => nsA.TryExec("ping -f -q -w 10 198.18.0.2", 30_000));
            Assert.True(EndToEnd.WaitFor(() => nsB.ReadCounter(b, "rx_packets") - before >= 1000, s_timeout), "the flood did not get going");

            var clock = Stopwatch.StartNew();
            cli.Signal("TERM");
            Assert.True(cli.WaitForExit(s_timeout), "no exit after SIGTERM under load");
            clock.Stop();
            Console.WriteLine($"SIGTERM under a ping flood: exited with {cli.ExitCode} in {clock.ElapsedMilliseconds} ms");

            Assert.Equal(0, cli.ExitCode);
            Assert.True(clock.Elapsed < s_exitBound, $"exit took {clock.ElapsedMilliseconds} ms");
            Assert.Contains("stopped", cli.Stderr);
            Assert.True(EndToEnd.WaitFor(() => !Exists(nsA, a) && !Exists(nsB, b), s_timeout), "a device outlived the switch");
        }
        finally
        {
            flood?.Wait(s_timeout);
        }
    }

    private static void Configure(NetworkNamespace ns, string tap, string address)
    {
        ns.MoveIn(tap);
        ns.Exec($"sysctl -qw net.ipv6.conf.{tap}.disable_ipv6=1");
        ns.Exec($"ip addr add {address}/24 dev {tap}");
        ns.Exec($"ip link set dev {tap} up");
    }

    private static bool Exists(NetworkNamespace ns, string tap) => ns.TryExec($"ip link show dev {tap}").ExitCode == 0;
}
