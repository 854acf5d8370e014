using System.Net.Sockets;
using System.Text.Json;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.QemuDgram;

/// <summary>
/// The dgram port kind from the command line: the config file's <c>dgram</c> list and <c>dgram_group</c>,
/// <c>run --dgram NAME=PATH,peer=GUEST</c>, and <c>port add NAME --dgram PATH --dgram-peer GUEST</c>; <c>port list</c>
/// names the kind, the socket and the peer, and a fixed peer's first frame brings its port up.
/// </summary>
[Collection(nameof(Hosts.EndToEndCollection))]
public sealed class DgramCliTests
{
    [SkippableFact]
    public void Dgram_ports_come_from_the_config_file_run_and_port_add_and_port_list_describes_them()
    {
        EndToEnd.RequirePrivileges();
        string folder = Directory.CreateTempSubdirectory("fbdc").FullName;
        string fromFile = Path.Combine(folder, "f.sock");
        string fromRun = Path.Combine(folder, "r.sock");
        string added = Path.Combine(folder, "a.sock");
        string guest = Path.Combine(folder, "guest.sock");
        string config = Path.Combine(folder, "c.json");
        try
        {
            File.WriteAllText(config, $$"""{ "dgram": ["f={{fromFile}}"], "dgram_group": "65534" }""");
            using (var sw = new RunningSwitch(0, $"--config {config}"))
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite, File.GetUnixFileMode(fromFile));
                using (CliProcess add = sw.Cli($"port add a --dgram {added} --dgram-peer {guest}"))
                {
                    Assert.True(add.ExitCode == 0, add.Stderr);
                    Assert.Contains($"dgram, device {added} (peer {guest}, fixed)", add.Stdout);
                }

                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(added));
                Dictionary<string, JsonElement> ports = Ports(sw);
                Assert.Equal("dgram", ports["f"].GetProperty("kind").GetString());
                Assert.Equal($"{fromFile} (peer not known yet)", ports["f"].GetProperty("device").GetString());
                Assert.Equal("down", ports["a"].GetProperty("state").GetString());
            }

            using (var sw = new RunningSwitch(0, $"--dgram r={fromRun},peer={guest}"))
            {
                Dictionary<string, JsonElement> ports = Ports(sw);
                Assert.Equal($"{fromRun} (peer {guest}, fixed)", ports["r"].GetProperty("device").GetString());
                Assert.Equal("down", ports["r"].GetProperty("state").GetString());
                using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
                socket.Bind(new UnixDomainSocketEndPoint(guest));
                byte[] frame = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 0x0a, 0x88, 0xb5, .. new byte[46]];
                socket.SendTo(frame, new UnixDomainSocketEndPoint(fromRun));
                Assert.True(EndToEnd.WaitFor(() => Ports(sw)["r"].GetProperty("state").GetString() == "up", RunningSwitch.Timeout), "r did not come up");
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static Dictionary<string, JsonElement> Ports(RunningSwitch sw)
    {
        using CliProcess list = sw.Cli("port list --json");
        Assert.True(list.ExitCode == 0, list.Stderr);
        using var json = JsonDocument.Parse(list.Stdout);
        return json.RootElement.GetProperty("ports").EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!, p => p.Clone());
    }
}
