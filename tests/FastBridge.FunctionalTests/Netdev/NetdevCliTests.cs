using System.Text.Json;
using FastBridge.Tests.Hosts;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Netdev;

/// <summary>
/// The command line of issue 11: <c>fastbridge run --netdev IFNAME</c> attaches an existing interface at start and
/// <c>fastbridge port add IFNAME --netdev</c> one more while the switch runs; <c>port list</c> shows them as netdev
/// ports, the hosts behind them talk, and <c>port del</c> lets go of one.
/// </summary>
[Collection(nameof(EndToEndCollection))]
public sealed class NetdevCliTests
{
    [SkippableFact]
    public void Run_netdev_and_port_add_netdev_attach_veths_whose_hosts_then_talk()
    {
        EndToEnd.RequirePrivileges();
        using var a = VethHost.Create("198.18.0.11");
        using var b = VethHost.Create("198.18.0.12");
        using var sw = new RunningSwitch(0, $"--netdev {a.SwitchSide}");

        using (CliProcess add = sw.Cli($"port add {b.SwitchSide} --netdev"))
        {
            Assert.True(add.ExitCode == 0, add.Stderr);
        }

        using (CliProcess list = sw.Cli("port list --json"))
        {
            Assert.Equal(0, list.ExitCode);
            using var json = JsonDocument.Parse(list.Stdout);
            JsonElement[] ports = [.. json.RootElement.GetProperty("ports").EnumerateArray()];
            foreach (string name in new[] { a.SwitchSide, b.SwitchSide })
            {
                JsonElement port = Assert.Single(ports, p => p.GetProperty("name").GetString() == name);
                Assert.Equal("netdev", port.GetProperty("kind").GetString());
            }
        }

        Assert.True(a.Ping(b.Address, count: 2), "the hosts behind the two netdev ports cannot talk");

        using (CliProcess del = sw.Cli($"port del {b.SwitchSide}"))
        {
            Assert.True(del.ExitCode == 0, del.Stderr);
        }

        Assert.False(a.Ping(b.Address, count: 1, waitSeconds: 1), "the host behind the removed port is still reached");
        using (CliProcess again = sw.Cli($"port add {b.SwitchSide} --netdev"))
        {
            Assert.True(again.ExitCode == 0, again.Stderr);
        }

        Assert.True(a.Ping(b.Address, count: 2), "the interface added again does not switch");
    }
}
