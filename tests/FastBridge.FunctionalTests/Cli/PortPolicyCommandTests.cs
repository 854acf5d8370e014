using System.Text.Json;
using FastBridge.Cli.Configuration;
using FastBridge.Switching;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Cli;

/// <summary><c>fastbridge port vlan</c>, <c>port set</c> and per-port policies in the config file.</summary>
[Collection(nameof(Hosts.EndToEndCollection))]
public sealed class PortPolicyCommandTests
{
    private static TimeSpan Timeout => TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("port vlan tap0", "exactly one of")]
    [InlineData("port vlan tap0 --access 0", "out of range")]
    [InlineData("port vlan tap0 --access 4095", "out of range")]
    [InlineData("port vlan tap0 --access ten", "not a VLAN id")]
    [InlineData("port vlan tap0 --access 10 --trunk 20", "exactly one of")]
    [InlineData("port vlan tap0 --access 10 --native 20", "--native goes with --trunk")]
    [InlineData("port vlan tap0 --trunk 10-5", "not a range")]
    [InlineData("port vlan tap0 --trunk 10 --native 5000", "out of range")]
    [InlineData("port set tap0", "at least one of")]
    [InlineData("port set tap0 --learning maybe", "maybe")]
    public void Bad_usage_is_refused_with_a_clear_reason_and_exit_2(string arguments, string reason)
    {
        using var cli = CliProcess.Run($"{arguments} --control /nonexistent/fb.sock", Timeout);
        Assert.Equal(2, cli.ExitCode);
        Assert.Contains(reason, cli.Stderr);
    }

    [Fact]
    public void Config_ports_may_be_names_or_objects_with_a_policy()
    {
        string path = Path.Combine(Path.GetTempPath(), $"fbvlan-{Guid.NewGuid():N}.json");
        try
        {
            File.WriteAllText(path, """
                { "ports": ["tap0", {"name": "tap1", "vlan": {"access": 10}, "isolated": true},
                           {"name": "tap2", "vlan": {"trunk": "10,20,100-199", "native": 1}, "flood_unknown": false}] }
                """);
            RunOptions config = RunConfiguration.Load(path);
            Assert.Equal(["tap0", "tap1", "tap2"], config.PortNames());
            Dictionary<string, PortPolicy> policies = config.PortPolicies();
            Assert.False(policies.ContainsKey("tap0"));
            Assert.Equal(PortVlan.Access(10), policies["tap1"].Vlan);
            Assert.True(policies["tap1"].Isolated);
            Assert.Equal("trunk 1,10,20,100-199 native 1", policies["tap2"].Vlan.ToString());
            Assert.False(policies["tap2"].FloodUnknown);

            File.WriteAllText(path, """{ "ports": [{"name": "tap1", "vlan": {"access": 5000}}] }""");
            FormatException bad = Assert.Throws<FormatException>(() => RunConfiguration.Load(path));
            Assert.Contains("port 'tap1'", bad.Message);
            Assert.Contains("out of range", bad.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [SkippableFact]
    public void Port_vlan_and_port_set_change_a_running_switch_and_port_list_shows_it()
    {
        EndToEnd.RequirePrivileges();
        using var sw = new RunningSwitch(2);
        using (CliProcess vlan = sw.Cli($"port vlan {sw.Taps[0]} --trunk 10,20 --native 30"))
        {
            Assert.Equal(0, vlan.ExitCode);
            Assert.Contains("trunk 10,20,30 native 30", vlan.Stdout);
        }

        using (CliProcess set = sw.Cli($"port set {sw.Taps[1]} --isolated on --learning off"))
        {
            Assert.Equal(0, set.ExitCode);
        }

        using (CliProcess list = sw.Cli("port list"))
        {
            Assert.Equal(0, list.ExitCode);
            Assert.Matches(@"name\s+id\s+kind\s+state\s+device\s+vlan\s+flags", list.Stdout);
            Assert.Contains("learning off,isolated on", list.Stdout);
        }

        using (CliProcess json = sw.Cli("port list --json"))
        {
            JsonElement ports = ControlRig.Parse(json.Stdout.Trim()).GetProperty("ports");
            Assert.Equal("trunk", ports[0].GetProperty("policy").GetProperty("vlan").GetProperty("mode").GetString());
            Assert.False(ports[1].GetProperty("policy").GetProperty("learning").GetBoolean());
        }

        using (CliProcess none = sw.Cli($"port vlan {sw.Taps[0]} --none"))
        {
            Assert.Equal(0, none.ExitCode);
        }

        using (CliProcess missing = sw.Cli("port vlan nope --access 10"))
        {
            Assert.Equal(1, missing.ExitCode);
            Assert.Contains("no port named 'nope'", missing.Stderr);
        }
    }
}
