using System.Diagnostics;
using System.Security.Cryptography;
using FastBridge.Cli.Demo;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Cli;

/// <summary><c>fastbridge run</c> as a process: arguments, privileges, devices, signals.</summary>
[Collection(nameof(Hosts.EndToEndCollection))]
public sealed class RunCommandTests
{
    private static TimeSpan Timeout => TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("")]
    [InlineData("run")]
    [InlineData("run --tap")]
    [InlineData("run --tap a --aging -1")]
    [InlineData("run --tap a --max-macs 0")]
    [InlineData("run --tap a --workers 1000")]
    [InlineData("run --tap a --bogus")]
    [InlineData("run --tap a --tap a")]
    [InlineData("frobnicate")]
    public void Bad_arguments_print_usage_and_exit_2(string arguments)
    {
        using var cli = CliProcess.Run(arguments, Timeout);
        Assert.Equal(2, cli.ExitCode);
        Assert.NotEqual("", cli.Stderr.Trim());
    }

    [Fact]
    public void Help_exits_0()
    {
        using var cli = CliProcess.Run("run --help", Timeout);
        Assert.Equal(0, cli.ExitCode);
        Assert.Contains("--tap", cli.Stdout);
    }

    [SkippableFact]
    public void Without_cap_net_admin_it_says_what_is_missing_and_exits_1()
    {
        EndToEnd.RequirePrivileges();
        using var cli = CliProcess.Run($"run --tap {UniqueTap()}", Timeout,
            wrapper: "setpriv --inh-caps=-all --bounding-set=-all"); // root, but without any capability
        Assert.Equal(1, cli.ExitCode);
        string[] lines = cli.Stderr.Trim().Split('\n');
        Assert.Single(lines);
        Assert.Contains("CAP_NET_ADMIN", lines[0]);
    }

    [SkippableTheory]
    [InlineData("", true)]
    [InlineData(" --no-offloads", false)]
    public void Taps_are_opened_with_offloads_unless_told_not_to(string flag, bool offloads)
    {
        EndToEnd.RequirePrivileges();
        string tap = UniqueTap();
        using var cli = CliProcess.Start($"run --tap {tap}{flag}");
        Assert.True(EndToEnd.WaitFor(() => cli.Stderr.Contains("started", StringComparison.Ordinal) || cli.HasExited, Timeout),
            "fastbridge run did not start");
        Assert.False(cli.HasExited, cli.Stderr);
        Assert.Equal(offloads, cli.Stderr.Contains($"TAP {tap} created, with offloads", StringComparison.Ordinal));
        cli.Signal("TERM");
        Assert.True(cli.WaitForExit(Timeout));
    }

    [SkippableFact]
    public void Sigterm_and_sigint_stop_it_promptly_and_it_removes_the_devices_it_created()
    {
        EndToEnd.RequirePrivileges();
        foreach (string signal in new[] { "TERM", "INT" })
        {
            string a = UniqueTap();
            string b = UniqueTap();
            using var cli = CliProcess.Start($"run --tap {a} --tap {b} --aging 60 --workers 2");
            Assert.True(EndToEnd.WaitFor(() => cli.Stderr.Contains("started", StringComparison.Ordinal) || cli.HasExited, Timeout),
                "fastbridge run did not start");
            Assert.False(cli.HasExited, cli.Stderr);
            Assert.True(Directory.Exists($"/sys/class/net/{a}") && Directory.Exists($"/sys/class/net/{b}"));

            var clock = Stopwatch.StartNew();
            cli.Signal(signal);
            Assert.True(cli.WaitForExit(Timeout), $"no exit after SIG{signal}");
            clock.Stop();

            Assert.Equal(0, cli.ExitCode);
            Assert.False(Directory.Exists($"/sys/class/net/{a}"), $"{a} left behind");
            Assert.False(Directory.Exists($"/sys/class/net/{b}"), $"{b} left behind");
            Assert.Contains("stopped", cli.Stderr);
            Console.WriteLine($"SIG{signal}: exited in {clock.ElapsedMilliseconds} ms");
        }
    }

    [SkippableFact]
    public void An_existing_tap_is_attached_and_left_in_place()
    {
        EndToEnd.RequirePrivileges();
        string tap = UniqueTap();
        NetworkNamespace.Run("ip", $"tuntap add dev {tap} mode tap");
        try
        {
            using var cli = CliProcess.Start($"run --tap {tap} --tap {UniqueTap()}");
            Assert.True(EndToEnd.WaitFor(() => cli.Stderr.Contains("started", StringComparison.Ordinal) || cli.HasExited, Timeout));
            Assert.Contains($"{tap} attached", cli.Stderr);
            cli.Signal("TERM");
            Assert.True(cli.WaitForExit(Timeout));
            Assert.Equal(0, cli.ExitCode);
            Assert.True(Directory.Exists($"/sys/class/net/{tap}"), "a device fastbridge did not create was removed");
        }
        finally
        {
            NetworkNamespace.TryRun("ip", $"tuntap del dev {tap} mode tap");
        }
    }

    private static string UniqueTap() => "fbc" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
}
