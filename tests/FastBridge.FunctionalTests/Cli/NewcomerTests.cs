using System.Text.Json;
using FastBridge.Cli.Demo;
using FastBridge.Interop;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Cli;

/// <summary>
/// What a new user meets first (issue 9): error text in the user's words, handing a TAP fd over, attached devices
/// left as they were found, waiting for a switch to be ready, and the small wording of the management verbs.
/// </summary>
[Collection(nameof(Hosts.EndToEndCollection))]
public sealed class NewcomerTests
{
    private static TimeSpan Timeout => RunningSwitch.Timeout;

    [Fact]
    public void A_bad_config_file_is_explained_in_the_files_terms()
    {
        string dir = Directory.CreateTempSubdirectory("fastbridge-config-").FullName;
        try
        {
            (string Json, string Expected)[] cases =
            [
                ("{\"nme\": \"x\"}", "unknown setting \"nme\""),
                ("{\"aging\": \"x\"}", "\"aging\" must be a whole number of seconds"),
                ("{\"workers\": 1.5}", "\"workers\" must be a whole number of threads"),
                ("{\"ports\": [1]}", "\"ports\" must be a list of TAP names"),
                ("{\"aging\": 1", "not well-formed JSON"),
                ("{\"aging\": -1}", "\"aging\" must be 0 or more seconds (0 = never age)"), // the words of --aging's error
                ("{\"max_macs\": 0}", "\"max_macs\" must be 1 to "),
                ("{\"ports\": [{\"name\": \"tap1\", \"acess\": 10}]}", "\"ports\": unknown member \"acess\" in a port object; a port object takes name, kind"),
                ("{\"ports\": [{\"name\": \"tap1\", \"learning\": \"no\"}]}", "\"ports\": a port object's \"learning\" holds the wrong type of value"),
                ("{\"ports\": [{\"name\": \"x1\", \"kind\": \"vxlan\"}]}", "port 'x1': \"kind\" must be tap or netdev"),
                ("{\"ports\": [{\"name\": \"x1\", \"client\": true}]}", "port 'x1': \"client\" goes with \"vhost_user\""),
            ];
            foreach ((string json, string expected) in cases)
            {
                string file = Path.Combine(dir, "c.json");
                File.WriteAllText(file, json);
                using var cli = CliProcess.Run($"run --config {file}", Timeout);
                Assert.Equal(2, cli.ExitCode);
                string line = Assert.Single(cli.Stderr.TrimEnd().Split('\n'));
                Assert.StartsWith("fastbridge: config file ", line);
                Assert.Contains(expected, line);
                UsageErrorTests.AssertInUsersWords(line);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_too_long_tap_name_is_refused_without_a_parameter_suffix()
    {
        using var cli = CliProcess.Run("run --tap abcdefghijklmnopqrstuvwxyz", Timeout);
        Assert.Equal(2, cli.ExitCode);
        Assert.Equal("fastbridge: --tap: interface name 'abcdefghijklmnopqrstuvwxyz' must be 1 to 15 characters long", cli.Stderr.Split('\n')[0]);
    }

    [SkippableFact]
    public void Protocol_errors_carry_quotes_as_quotes()
    {
        EndToEnd.RequirePrivileges();
        using var sw = new RunningSwitch(1);
        using CliProcess json = sw.Cli("fdb add 02:00:00:00:00:01 nosuchport --json");
        Assert.Equal(1, json.ExitCode);
        Assert.Equal("fastbridge: no port named 'nosuchport'", json.Stderr.Trim());
        using var raw = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        raw.Connect(new System.Net.Sockets.UnixDomainSocketEndPoint(sw.SocketPath));
        raw.Send("{\"verb\":\"port-del\",\"name\":\"it's\"}\n"u8);
        var buffer = new byte[4096];
        string line = System.Text.Encoding.UTF8.GetString(buffer, 0, raw.Receive(buffer));
        Assert.Contains("no port named 'it's'", line);
        Assert.DoesNotContain("\\u0027", line);
    }

    [SkippableFact]
    public void Port_add_fd_checks_the_callers_fd_and_names_the_callers_number()
    {
        EndToEnd.RequirePrivileges();
        using var sw = new RunningSwitch(1);
        int notTap = Syscall.Open("/dev/null", Libc.O_RDWR, out int errno); // inheritable: the child gets this number
        Assert.True(notTap >= 0, $"open /dev/null: errno {errno}");
        try
        {
            using CliProcess wrongKind = sw.Cli($"port add vm0 --fd {notTap}");
            Assert.Equal(1, wrongKind.ExitCode);
            Assert.Equal($"fastbridge: cannot hand over fd {notTap}: it is not a TUN/TAP file descriptor", wrongKind.Stderr.Trim());
        }
        finally
        {
            Libc.Close(notTap);
        }

        using CliProcess notOpen = sw.Cli("port add vm0 --fd 250");
        Assert.Equal(1, notOpen.ExitCode);
        Assert.StartsWith("fastbridge: fd 250 is not open in this process", notOpen.Stderr.Trim());
        Assert.DoesNotContain("connection", notOpen.Stderr);
        Assert.Single(ControlRig.Parse(sw.Cli("port list --json").Stdout.Trim()).GetProperty("ports").EnumerateArray());
    }

    [SkippableFact]
    public void An_attached_tap_that_was_down_is_down_again_after_port_del_and_after_the_switch_stops()
    {
        EndToEnd.RequirePrivileges();
        string first = TapRig.UniqueName();
        string second = TapRig.UniqueName();
        NetworkNamespace.Run("ip", $"tuntap add dev {first} mode tap");
        NetworkNamespace.Run("ip", $"tuntap add dev {second} mode tap");
        try
        {
            Assert.False(IsUp(first));
            using (var sw = new RunningSwitch(1))
            {
                Assert.Equal(0, sw.Cli($"port add {first}").ExitCode);
                Assert.Equal(0, sw.Cli($"port add {second}").ExitCode);
                Assert.True(IsUp(first), "attaching did not set the device up");
                Assert.Equal(0, sw.Cli($"port del {first}").ExitCode);
                Assert.True(EndToEnd.WaitFor(() => !IsUp(first), Timeout), "port del left the device up");
                Assert.True(IsUp(second));
            }

            Assert.True(Directory.Exists($"/sys/class/net/{second}"), "a device the switch did not create was removed");
            Assert.False(IsUp(second), "the switch stopped and left the device up");
        }
        finally
        {
            NetworkNamespace.TryRun("ip", $"tuntap del dev {first} mode tap");
            NetworkNamespace.TryRun("ip", $"tuntap del dev {second} mode tap");
        }
    }

    [SkippableFact]
    public void Wait_returns_once_the_switch_answers_and_its_taps_exist()
    {
        EndToEnd.RequirePrivileges();
        string socket = ControlRig.UniqueSocketPath();
        string tap = TapRig.UniqueName();
        using var wait = CliProcess.Start($"wait --control {socket} --timeout 60");
        using var run = CliProcess.Start($"run --tap {tap} --control {socket}");
        try
        {
            Assert.True(wait.WaitForExit(Timeout), "wait did not return");
            Assert.True(wait.ExitCode == 0, wait.Stderr);
            Assert.True(Directory.Exists($"/sys/class/net/{tap}"), "wait returned before the TAP existed");
        }
        finally
        {
            run.Signal("TERM");
            run.WaitForExit(Timeout);
            File.Delete(socket);
        }
    }

    [Fact]
    public void Wait_for_a_switch_that_never_comes_exits_3()
    {
        using var wait = CliProcess.Run($"wait --control {ControlRig.UniqueSocketPath()} --timeout 1", Timeout);
        Assert.Equal(3, wait.ExitCode);
        Assert.StartsWith("fastbridge: no switch answered at ", wait.Stderr.Trim());
    }

    [SkippableFact]
    public void The_verbs_speak_plainly_about_one_thing()
    {
        EndToEnd.RequirePrivileges();
        string socket = ControlRig.UniqueSocketPath();
        using (var single = CliProcess.Start($"run --tap {TapRig.UniqueName()} --workers 1 --control {socket}"))
        {
            Assert.True(EndToEnd.WaitFor(() => single.Stderr.Contains("started", StringComparison.Ordinal) || single.HasExited, Timeout));
            Assert.Contains("started: 1 worker, 1 port,", single.Stderr);
            single.Signal("TERM");
            Assert.True(single.WaitForExit(Timeout));
            File.Delete(socket);
        }

        using var sw = new RunningSwitch(1); // two workers

        using (CliProcess add = sw.Cli($"fdb add 02:AA:BB:CC:DD:0E {sw.Taps[0]}"))
        {
            Assert.Equal(0, add.ExitCode);
            Assert.Equal($"static entry 02:aa:bb:cc:dd:0e vlan 0 -> {sw.Taps[0]} added", add.Stdout.Trim());
        }

        using (CliProcess status = sw.Cli("status"))
        {
            Assert.Equal(0, status.ExitCode);
            Assert.StartsWith("switch ", status.Stdout);
            Assert.Contains("2 workers, 1 port", status.Stdout);
            Assert.Contains(sw.Taps[0], status.Stdout);
        }

        JsonElement json = ControlRig.Parse(sw.Cli("status --json").Stdout.Trim());
        Assert.Equal(2, json.GetProperty("workers").GetInt32());

        // one learned entry: a frame from a station behind the port
        sw.Host(0).TryExec("ping -c 1 -W 1 198.18.0.99");
        Assert.True(EndToEnd.WaitFor(() => sw.Cli("fdb show --json").Stdout.Contains("dynamic", StringComparison.Ordinal), Timeout));
        using CliProcess flush = sw.Cli("fdb flush");
        Assert.Equal("1 entry flushed", flush.Stdout.Trim());
        Assert.DoesNotContain("up again", sw.Process.Stderr);
    }

    private static bool IsUp(string device) =>
        (Convert.ToInt32(File.ReadAllText($"/sys/class/net/{device}/flags").Trim(), 16) & 1) != 0;
}
