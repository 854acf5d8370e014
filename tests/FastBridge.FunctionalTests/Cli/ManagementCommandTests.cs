using System.Security.Cryptography;
using System.Text.Json;
using FastBridge.Interop;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Cli;

/// <summary>
/// The management verbs as processes against a <c>fastbridge run</c> process whose TAP ports lead into namespaces
/// that ping each other: what the verbs show follows the real traffic, what they change takes effect live.
/// </summary>
[Collection(nameof(Hosts.EndToEndCollection))]
public sealed class ManagementCommandTests
{
    [SkippableFact]
    public void Every_verb_works_against_a_running_switch_while_hosts_ping()
    {
        EndToEnd.RequirePrivileges();
        using var sw = new RunningSwitch(2);
        // the first ping also waits for ARP through a freshly started (still JIT-compiling) switch: give it a few tries
        Assert.True(EndToEnd.WaitFor(() => sw.Ping(0, 1), RunningSwitch.Timeout), "h1 cannot ping h2 through the switch");

        // fdb show: both hosts' real MACs, each on its own port
        using (CliProcess show = sw.Cli("fdb show --json"))
        {
            Assert.Equal(0, show.ExitCode);
            JsonElement entries = ControlRig.Parse(show.Stdout.Trim()).GetProperty("entries");
            for (int i = 0; i < 2; i++)
            {
                Assert.Contains(entries.EnumerateArray(), e => e.GetProperty("mac").GetString() == sw.Mac(i) && e.GetProperty("port").GetString() == sw.Taps[i]);
            }
        }

        using (CliProcess human = sw.Cli($"fdb show --port {sw.Taps[0]}"))
        {
            Assert.Equal(0, human.ExitCode);
            Assert.Matches(@"^mac\s+vlan\s+port\s+type\s+age", human.Stdout);
            Assert.Contains(sw.Mac(0), human.Stdout);
            Assert.DoesNotContain(sw.Mac(1), human.Stdout);
        }

        // stats: counters move as traffic flows
        long RxFrames() => ControlRig.Parse(sw.Cli("stats --json").Stdout.Trim()).GetProperty("ports")[0].GetProperty("rx_frames").GetInt64();
        long before = RxFrames();
        Assert.True(sw.Ping(0, 1, count: 3));
        Assert.True(RxFrames() >= before + 3);
        using (CliProcess stats = sw.Cli("stats"))
        {
            Assert.Equal(0, stats.ExitCode);
            Assert.Contains("rx-frames", stats.Stdout);
            Assert.Contains("learned", stats.Stdout);
        }

        using (CliProcess watch = sw.Cli("stats --watch --count 2"))
        {
            Assert.Equal(0, watch.ExitCode);
            Assert.Contains("rx/s", watch.Stdout); // the second sample has rates
        }

        // port add / list / del
        string extra = TapRig.UniqueName();
        using (CliProcess add = sw.Cli($"port add {extra}"))
        {
            Assert.Equal(0, add.ExitCode);
            Assert.Contains($"port {extra} added", add.Stdout);
        }

        Assert.True(Directory.Exists($"/sys/class/net/{extra}"));
        using (CliProcess again = sw.Cli($"port add {extra}"))
        {
            Assert.Equal(1, again.ExitCode);
            Assert.Contains("already", again.Stderr);
        }

        using (CliProcess list = sw.Cli("port list --json"))
        {
            JsonElement ports = ControlRig.Parse(list.Stdout.Trim()).GetProperty("ports");
            Assert.Equal([sw.Taps[0], sw.Taps[1], extra], ports.EnumerateArray().Select(p => p.GetProperty("name").GetString()));
        }

        Assert.Equal(0, sw.Cli($"port del {extra}").ExitCode);
        Assert.True(EndToEnd.WaitFor(() => !Directory.Exists($"/sys/class/net/{extra}"), RunningSwitch.Timeout), "the created TAP was not removed");
        using (CliProcess del = sw.Cli($"port del {extra}"))
        {
            Assert.Equal(1, del.ExitCode);
            Assert.Equal($"fastbridge: no port named '{extra}'", del.Stderr.Trim());
        }

        // fdb add / del / flush
        Assert.Equal(0, sw.Cli($"fdb add 02:aa:bb:cc:dd:01 {sw.Taps[1]} --vlan 9").ExitCode);
        Assert.Contains("static", sw.Cli("fdb show --vlan 9").Stdout);
        using (CliProcess flush = sw.Cli("fdb flush --json"))
        {
            Assert.Equal(0, flush.ExitCode);
            Assert.True(ControlRig.Parse(flush.Stdout.Trim()).GetProperty("removed").GetInt32() >= 2);
        }

        Assert.Contains("02:aa:bb:cc:dd:01", sw.Cli("fdb show").Stdout); // static entries survive a flush
        Assert.Equal(0, sw.Cli("fdb del 02:aa:bb:cc:dd:01 --vlan 9").ExitCode);
        Assert.Equal(1, sw.Cli("fdb del 02:aa:bb:cc:dd:01 --vlan 9").ExitCode);

        // config: max-macs and aging, live
        using (CliProcess resize = sw.Cli("config max-macs 64 --json"))
        {
            Assert.Equal(0, resize.ExitCode);
            Assert.Equal(64, ControlRig.Parse(resize.Stdout.Trim()).GetProperty("table").GetProperty("capacity").GetInt32());
        }

        Assert.True(sw.Ping(1, 0));
        Assert.Equal(0, sw.Cli("config aging 1").ExitCode);
        Assert.True(EndToEnd.WaitFor(() => ControlRig.Parse(sw.Cli("fdb show --json").Stdout.Trim()).GetProperty("entries").GetArrayLength() == 0,
            RunningSwitch.Timeout), "entries did not age out after config aging 1");
        // fdb show hides an expired entry at once; the aged counter moves when the housekeeping sweep removes it
        Assert.True(EndToEnd.WaitFor(() => ControlRig.Parse(sw.Cli("stats --json").Stdout.Trim()).GetProperty("table").GetProperty("aged").GetInt64() >= 2,
            RunningSwitch.Timeout), "the aged counter did not move");
        Assert.True(sw.Ping(0, 1), "the switch stopped forwarding");
    }

    [SkippableFact]
    public void A_tap_fd_of_the_calling_process_is_handed_over_with_port_add_fd()
    {
        EndToEnd.RequirePrivileges();
        using var sw = new RunningSwitch(1);
        string name = TapRig.UniqueName();
        int fd = TapFds.Open(name, inheritable: true); // the child `fastbridge port add` inherits this fd number
        try
        {
            using CliProcess add = sw.Cli($"port add vm0 --fd {fd}");
            Assert.True(add.ExitCode == 0, add.Stderr);
            Assert.Contains("port vm0 added", add.Stdout);
        }
        finally
        {
            Libc.Close(fd);
        }

        JsonElement ports = ControlRig.Parse(sw.Cli("port list --json").Stdout.Trim()).GetProperty("ports");
        JsonElement vm0 = Assert.Single(ports.EnumerateArray(), p => p.GetProperty("name").GetString() == "vm0");
        Assert.Equal(name, vm0.GetProperty("device").GetString());
        Assert.Equal("tap", vm0.GetProperty("kind").GetString());
        Assert.True(Directory.Exists($"/sys/class/net/{name}"), "the device went away although the switch holds its fd");
        Assert.Equal(0, sw.Cli("port del vm0").ExitCode);
        Assert.True(EndToEnd.WaitFor(() => !Directory.Exists($"/sys/class/net/{name}"), RunningSwitch.Timeout));
    }

    [SkippableFact]
    public void A_non_owner_may_read_but_not_change_state()
    {
        EndToEnd.RequirePrivileges();
        using var sw = new RunningSwitch(2);
        File.SetUnixFileMode(sw.SocketPath, (UnixFileMode)0b110_110_110); // let uid 65534 connect at all
        const string Nobody = "setpriv --reuid=65534 --regid=65534 --clear-groups";
        using (CliProcess list = sw.Cli("port list", Nobody))
        {
            Assert.True(list.ExitCode == 0, list.Stderr);
        }

        using (CliProcess flush = sw.Cli("fdb flush", Nobody))
        {
            Assert.Equal(1, flush.ExitCode);
            Assert.Contains("permission denied", flush.Stderr);
        }

        using (CliProcess del = sw.Cli($"port del {sw.Taps[0]}", Nobody))
        {
            Assert.Equal(1, del.ExitCode);
        }

        Assert.Equal(2, ControlRig.Parse(sw.Cli("port list --json").Stdout.Trim()).GetProperty("ports").GetArrayLength());
        Assert.True(sw.Ping(0, 1));
    }

    [SkippableFact]
    public void A_second_switch_on_a_live_socket_exits_1_and_a_killed_switchs_socket_is_reused()
    {
        EndToEnd.RequirePrivileges();
        using var sw = new RunningSwitch(2);
        using (CliProcess second = CliProcess.Run($"run --tap {TapRig.UniqueName()} --control {sw.SocketPath}", RunningSwitch.Timeout))
        {
            Assert.Equal(1, second.ExitCode);
            Assert.Contains("in use by a running switch", second.Stderr);
        }

        Assert.True(sw.Ping(0, 1));
        Assert.Equal(0, sw.Cli("port list").ExitCode);

        sw.Process.Signal("KILL");
        Assert.True(sw.Process.WaitForExit(RunningSwitch.Timeout));
        Assert.True(File.Exists(sw.SocketPath), "a killed switch cannot remove its socket");
        using (CliProcess none = sw.Cli("port list"))
        {
            Assert.Equal(3, none.ExitCode);
            Assert.Contains("no switch is running", none.Stderr);
        }

        using CliProcess next = CliProcess.Start($"run --tap {TapRig.UniqueName()} --control {sw.SocketPath}");
        try
        {
            Assert.True(EndToEnd.WaitFor(() => next.Stderr.Contains("started", StringComparison.Ordinal) || next.HasExited, RunningSwitch.Timeout));
            Assert.False(next.HasExited, next.Stderr);
            Assert.Equal(0, sw.Cli("port list").ExitCode);
        }
        finally
        {
            next.Signal("TERM");
            next.WaitForExit(RunningSwitch.Timeout);
        }
    }

    [SkippableFact]
    public void Run_with_a_config_file_takes_ports_and_settings_and_flags_override_it()
    {
        EndToEnd.RequirePrivileges();
        string socket = ControlRig.UniqueSocketPath();
        string a = TapRig.UniqueName();
        string b = TapRig.UniqueName();
        string file = Path.Combine(Path.GetTempPath(), $"fbconfig-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}.json");
        File.WriteAllText(file, $$"""
            {
              // comments and trailing commas are fine
              "name": "cfgtest",
              "control": "{{socket}}",
              "ports": ["{{a}}", "{{b}}"],
              "aging": 42,
              "max_macs": 1000,
              "workers": 1,
            }
            """);
        try
        {
            using CliProcess run = CliProcess.Start($"run --config {file} --max-macs 2000");
            try
            {
                Assert.True(EndToEnd.WaitFor(() => run.Stderr.Contains("started", StringComparison.Ordinal) || run.HasExited, RunningSwitch.Timeout));
                Assert.False(run.HasExited, run.Stderr);
                using CliProcess status = CliProcess.Run($"port list --json --control {socket}", RunningSwitch.Timeout);
                Assert.Equal([a, b], ControlRig.Parse(status.Stdout.Trim()).GetProperty("ports").EnumerateArray().Select(p => p.GetProperty("name").GetString()));
                using CliProcess config = CliProcess.Run($"stats --json --control {socket}", RunningSwitch.Timeout);
                JsonElement table = ControlRig.Parse(config.Stdout.Trim()).GetProperty("table");
                Assert.Equal(42, table.GetProperty("aging_seconds").GetInt32());
                Assert.Equal(2000, table.GetProperty("capacity").GetInt32()); // the flag won
                Assert.Contains("bridge cfgtest started: 1 worker,", run.Stderr);
            }
            finally
            {
                run.Signal("TERM");
                Assert.True(run.WaitForExit(RunningSwitch.Timeout));
            }

            Assert.Equal(0, run.ExitCode);
            Assert.False(File.Exists(socket), "the control socket was left behind");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("port add")]
    [InlineData("port add x --fd -1")]
    [InlineData("port add x --fd 5,5")]
    [InlineData("port add x --fd 5,six")]
    [InlineData("port add x --fd 5,6 --queues 2")]
    [InlineData("fdb add nonsense p0")]
    [InlineData("fdb show --vlan 5000")]
    [InlineData("config aging -5")]
    [InlineData("config max-macs 0")]
    [InlineData("stats --count 0")]
    [InlineData("fdb frob")]
    public void Bad_verb_arguments_exit_2(string arguments)
    {
        using CliProcess cli = CliProcess.Run($"{arguments} --control /tmp/fbctl-none.sock", RunningSwitch.Timeout);
        Assert.Equal(2, cli.ExitCode);
        Assert.NotEqual("", cli.Stderr.Trim());
    }

    [Fact]
    public void No_switch_at_the_socket_exits_3()
    {
        using CliProcess cli = CliProcess.Run($"stats --control {ControlRig.UniqueSocketPath()}", RunningSwitch.Timeout);
        Assert.Equal(3, cli.ExitCode);
        Assert.Contains("no switch is running", cli.Stderr);
    }

    [Fact]
    public void A_bad_config_file_exits_2()
    {
        string file = Path.Combine(Path.GetTempPath(), $"fbconfig-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}.json");
        File.WriteAllText(file, """{"ports": ["a"], "colour": "blue"}""");
        try
        {
            using CliProcess cli = CliProcess.Run($"run --config {file}", RunningSwitch.Timeout);
            Assert.Equal(2, cli.ExitCode);
            Assert.Contains("colour", cli.Stderr);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
