using FastBridge.Cli.Demo;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Cli;

/// <summary>README's first command: <c>fastbridge demo</c> works and leaves nothing behind.</summary>
[Collection(nameof(Hosts.EndToEndCollection))]
public sealed class DemoCommandTests
{
    [SkippableFact]
    public void Demo_pings_all_pairs_shows_the_table_and_cleans_up()
    {
        EndToEnd.RequirePrivileges();
        using var cli = CliProcess.Run("demo", TimeSpan.FromSeconds(120));

        Assert.True(cli.ExitCode == 0, cli.Stdout + cli.Stderr);
        Assert.Contains("All 6 pings answered", cli.Stdout);
        Assert.Contains("MAC table:", cli.Stdout);
        Assert.Contains("rx-frames", cli.Stdout);
        string suffix = System.Text.RegularExpressions.Regex.Match(cli.Stdout, @"namespace (fb-demo[0-9a-f]+)-h1").Groups[1].Value;
        Assert.NotEqual("", suffix);
        Assert.DoesNotContain(suffix, NetworkNamespace.Run("ip", "netns list"));
    }

    [SkippableFact]
    public void Demo_interrupted_still_removes_everything()
    {
        EndToEnd.RequirePrivileges();
        using var cli = CliProcess.Start("demo");
        Assert.True(EndToEnd.WaitFor(() => cli.Stdout.Contains("Pings through the switch", StringComparison.Ordinal) || cli.HasExited, TimeSpan.FromSeconds(60)));
        cli.Signal("INT");
        Assert.True(cli.WaitForExit(TimeSpan.FromSeconds(60)));
        string suffix = System.Text.RegularExpressions.Regex.Match(cli.Stdout, @"namespace (fb-demo[0-9a-f]+)-h1").Groups[1].Value;
        Assert.NotEqual("", suffix);
        Assert.DoesNotContain(suffix, NetworkNamespace.Run("ip", "netns list"));
        Assert.Contains("Removed 3 namespaces", cli.Stdout);
    }
}
