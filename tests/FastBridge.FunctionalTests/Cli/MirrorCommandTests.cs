using System.Text.Json;
using FastBridge.Cli.Configuration;
using FastBridge.Switching;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Cli;

/// <summary><c>fastbridge mirror add|del|list</c> and mirrors in the config file.</summary>
[Collection(nameof(Hosts.EndToEndCollection))]
public sealed class MirrorCommandTests
{
    private static TimeSpan Timeout => TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("mirror add m --to tap2", "--from")]
    [InlineData("mirror add m --from tap0", "--to")]
    [InlineData("mirror add m --from tap0 --to tap2 --rx --tx", "at most one of --rx, --tx, --both")]
    [InlineData("mirror add m --from tap0 --to tap2 --vlan 4095", "out of range")]
    [InlineData("mirror add m --from tap0 --to tap2 --vlan ten", "not a VLAN id")]
    [InlineData("mirror add m --from tap0,tap2 --to tap2", "port 'tap2' cannot be both a source (--from) and the output (--to)")]
    [InlineData("mirror add m --from , --to tap2", "--from needs one or more port names")]
    [InlineData("mirror del", "NAME")]
    public void Bad_usage_is_refused_with_a_clear_reason_and_exit_2(string arguments, string reason)
    {
        using var cli = CliProcess.Run($"{arguments} --control /nonexistent/fb.sock", Timeout);
        Assert.Equal(2, cli.ExitCode);
        Assert.Contains(reason, cli.Stderr);
    }

    [Fact]
    public void Config_mirrors_are_read_and_checked()
    {
        string path = Path.Combine(Path.GetTempPath(), $"fbmirror-{Guid.NewGuid():N}.json");
        try
        {
            File.WriteAllText(path, """
                { "ports": ["tap0", "tap1", "tap9"],
                  "mirrors": [{"name": "ids", "from": ["tap0", "tap1"], "to": "tap9", "direction": "tx", "vlan": 10}] }
                """);
            Mirror mirror = Assert.Single(RunConfiguration.Load(path).MirrorList());
            Assert.Equal(["tap0", "tap1"], mirror.Sources);
            Assert.Equal("tap9", mirror.Output);
            Assert.Equal(MirrorDirection.Tx, mirror.Direction);
            Assert.Equal(10, mirror.Vlan);

            File.WriteAllText(path, """{ "ports": ["tap0", "tap9"], "mirrors": [{"name": "ids", "from": ["tap5"], "to": "tap9"}] }""");
            Assert.Contains("mirror 'ids': no port named 'tap5'", Assert.Throws<FormatException>(() => RunConfiguration.Load(path)).Message);
            File.WriteAllText(path, """{ "ports": ["tap0", "tap9"], "mirrors": [{"name": "ids", "from": ["tap0"], "to": "tap9", "direction": "in"}] }""");
            Assert.Contains("must be rx, tx or both", Assert.Throws<FormatException>(() => RunConfiguration.Load(path)).Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [SkippableFact]
    public void Mirror_add_list_and_del_change_a_running_switch()
    {
        EndToEnd.RequirePrivileges();
        using var sw = new RunningSwitch(3);
        using (CliProcess add = sw.Cli($"mirror add ids --from {sw.Taps[0]},{sw.Taps[1]} --rx --vlan 10 --to {sw.Taps[2]}"))
        {
            Assert.Equal(0, add.ExitCode);
            Assert.Matches(@"name\s+from\s+direction\s+vlan\s+to\s+state", add.Stdout);
        }

        using (CliProcess list = sw.Cli("mirror list"))
        {
            Assert.Equal(0, list.ExitCode);
            Assert.Matches($@"ids\s+{sw.Taps[0]},{sw.Taps[1]}\s+rx\s+10\s+{sw.Taps[2]}\s+active", list.Stdout);
        }

        using (CliProcess json = sw.Cli("mirror list --json"))
        {
            JsonElement mirror = ControlRig.Parse(json.Stdout.Trim()).GetProperty("mirrors")[0];
            Assert.Equal(sw.Taps[2], mirror.GetProperty("to").GetString());
        }

        using (CliProcess duplicate = sw.Cli($"mirror add ids --from {sw.Taps[0]} --to {sw.Taps[2]}"))
        {
            Assert.Equal(1, duplicate.ExitCode);
            Assert.Contains("fastbridge: a mirror named 'ids' already exists", duplicate.Stderr);
        }

        using (CliProcess unknown = sw.Cli($"mirror add other --from nope --to {sw.Taps[2]}"))
        {
            Assert.Equal(1, unknown.ExitCode);
            Assert.Contains("no port named 'nope'", unknown.Stderr);
        }

        using (CliProcess del = sw.Cli("mirror del ids"))
        {
            Assert.Equal(0, del.ExitCode);
            Assert.Contains("mirror ids deleted", del.Stdout);
        }

        using (CliProcess again = sw.Cli("mirror del ids"))
        {
            Assert.Equal(1, again.ExitCode);
            Assert.Contains("no mirror named 'ids'", again.Stderr);
        }
    }

    [SkippableFact]
    public void A_config_file_mirror_may_name_a_port_given_on_the_command_line()
    {
        EndToEnd.RequirePrivileges();
        string suffix = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3));
        string tap = $"fbmir{suffix}";
        string socket = Path.Combine(Path.GetTempPath(), $"fbmir-{suffix}.sock");
        string config = Path.Combine(Path.GetTempPath(), $"fbmir-{suffix}.json");
        File.WriteAllText(config, $$"""{ "ports": ["{{tap}}"], "mirrors": [{"name": "ids", "from": ["{{tap}}"], "to": "mon{{suffix}}"}] }""");
        try
        {
            using var sw = new RunningSwitch(0, $"--config {config} --stream mon{suffix}={socket}");
            using CliProcess json = sw.Cli("mirror list --json");
            JsonElement mirror = ControlRig.Parse(json.Stdout.Trim()).GetProperty("mirrors")[0];
            Assert.Equal($"mon{suffix}", mirror.GetProperty("to").GetString());
            Assert.Equal(tap, mirror.GetProperty("from")[0].GetString());
        }
        finally
        {
            File.Delete(config);
            File.Delete(socket);
        }
    }
}
