using System.Text.Json;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Cli;

/// <summary>
/// The config file's <c>ports</c> lists every port kind <c>fastbridge run</c> can open, not only TAPs: a netdev port
/// (<c>"kind": "netdev"</c>) and a vhost-user port (<c>"vhost_user": PATH</c>), each with a policy like a TAP's.
/// </summary>
[Collection(nameof(Hosts.EndToEndCollection))]
public sealed class ConfigFilePortsTests
{
    [SkippableFact]
    public void Netdev_and_vhost_user_ports_of_the_config_file_are_opened_with_their_policies()
    {
        EndToEnd.RequirePrivileges();
        using VethHost veth = VethHost.Create("198.18.7.2");
        string suffix = Guid.NewGuid().ToString("N")[..8];
        string socket = Path.Combine(Path.GetTempPath(), $"fbcfg-{suffix}.sock");
        string config = Path.Combine(Path.GetTempPath(), $"fbcfg-{suffix}.json");
        try
        {
            File.WriteAllText(config, $$$"""
                { "ports": [ {"name": "{{{veth.SwitchSide}}}", "kind": "netdev", "isolated": true},
                             {"name": "vm{{{suffix}}}", "vhost_user": "{{{socket}}}", "vlan": {"access": 10}} ] }
                """);
            using var sw = new RunningSwitch(0, $"--config {config}");
            using CliProcess list = sw.Cli("port list --json");
            Assert.Equal(0, list.ExitCode);
            using var json = JsonDocument.Parse(list.Stdout);
            JsonElement[] ports = [.. json.RootElement.GetProperty("ports").EnumerateArray()];
            JsonElement netdev = Assert.Single(ports, p => p.GetProperty("name").GetString() == veth.SwitchSide);
            Assert.Equal("netdev", netdev.GetProperty("kind").GetString());
            Assert.True(netdev.GetProperty("policy").GetProperty("isolated").GetBoolean());
            JsonElement vm = Assert.Single(ports, p => p.GetProperty("name").GetString() == $"vm{suffix}");
            Assert.Equal("vhost-user", vm.GetProperty("kind").GetString());
            Assert.Equal(socket, vm.GetProperty("device").GetString());
            Assert.Equal(10, vm.GetProperty("policy").GetProperty("vlan").GetProperty("access").GetInt32());
            Assert.True(File.Exists(socket), "the vhost-user socket was not created");
        }
        finally
        {
            File.Delete(config);
            File.Delete(socket);
        }
    }
}
