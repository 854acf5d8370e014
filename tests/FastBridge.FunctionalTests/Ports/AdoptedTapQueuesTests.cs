using System.Text.Json;
using FastBridge.Cli.Commands;
using FastBridge.Cli.Demo;
using FastBridge.Interop;
using FastBridge.Ports;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Ports;

/// <summary>
/// The queue fds of a multi-queue TAP opened by another program (as libvirt opens vnetN for a multiqueue guest) handed
/// to FastBridge: by the library (<see cref="TapPort.AdoptQueues"/>) and by <c>port add NAME --fd A,B</c> over the
/// control socket; wrong sets of fds are refused with a message that says what is wrong, and the caller keeps them.
/// Traffic through adopted queues: MultiQueueTapTests' flow test runs with adopted fds too.
/// </summary>
[Collection(nameof(Hosts.EndToEndCollection))]
public sealed class AdoptedTapQueuesTests
{
    [SkippableFact]
    public void Two_queue_fds_become_one_port_with_two_queues_and_close_with_it()
    {
        EndToEnd.RequirePrivileges();
        string name = TapRig.UniqueName();
        int[] fds = TapFds.OpenQueues(name, 2);
        using (TapPort port = TapPort.AdoptQueues(fds, "vm0", ownsFds: true))
        {
            Assert.Equal("vm0", port.Name);
            Assert.Equal(name, port.DeviceName);
            Assert.False(port.CreatedDevice);
            Assert.Equal(2, ((Port)port).QueueCount);
        }

        Assert.All(fds, fd => Assert.False(TapFds.IsOpen(fd), $"fd {fd} outlived the port that owned it"));
        Assert.False(Directory.Exists($"/sys/class/net/{name}"), "the device outlived its queues");
    }

    [SkippableFact]
    public void Without_ownership_the_port_takes_duplicates_and_the_callers_fds_stay_open()
    {
        EndToEnd.RequirePrivileges();
        string name = TapRig.UniqueName();
        int[] fds = TapFds.OpenQueues(name, 3);
        try
        {
            using (TapPort port = TapPort.AdoptQueues(fds, ownsFds: false))
            {
                Assert.Equal(name, port.Name);
                Assert.Equal(3, ((Port)port).QueueCount);
            }

            Assert.All(fds, fd => Assert.True(TapFds.IsOpen(fd), $"fd {fd} of the caller was closed"));
        }
        finally
        {
            TapFds.Close(fds);
        }
    }

    [SkippableFact]
    public void Queues_of_two_devices_are_refused_and_left_open()
    {
        EndToEnd.RequirePrivileges();
        string a = TapRig.UniqueName(), b = TapRig.UniqueName();
        int[] first = TapFds.OpenQueues(a, 1), second = TapFds.OpenQueues(b, 1);
        try
        {
            var e = Assert.Throws<TapException>(() => TapPort.AdoptQueues([first[0], second[0]], ownsFds: true));
            Assert.Contains($"fd {first[0]} is a queue of '{a}', fd {second[0]} of '{b}'", e.Message, StringComparison.Ordinal);
            Assert.True(TapFds.IsOpen(first[0]) && TapFds.IsOpen(second[0]), "a refused fd was closed");
        }
        finally
        {
            TapFds.Close(first);
            TapFds.Close(second);
        }
    }

    [SkippableFact]
    public void A_single_queue_tap_among_the_fds_is_refused_with_how_to_hand_it_over()
    {
        EndToEnd.RequirePrivileges();
        string multi = TapRig.UniqueName(), single = TapRig.UniqueName();
        int[] queues = TapFds.OpenQueues(multi, 1);
        int plain = TapFds.Open(single);
        try
        {
            var e = Assert.Throws<TapException>(() => TapPort.AdoptQueues([queues[0], plain]));
            Assert.Contains($"fd {plain} is of '{single}', which is not a multi-queue TAP", e.Message, StringComparison.Ordinal);
            Assert.Contains("hand over that one alone", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            TapFds.Close(queues);
            Libc.Close(plain);
        }
    }

    [SkippableFact]
    public void The_same_queue_twice_is_refused_by_number_and_as_a_dup()
    {
        EndToEnd.RequirePrivileges();
        string name = TapRig.UniqueName();
        int[] fds = TapFds.OpenQueues(name, 2);
        int dup = Syscall.Fcntl(fds[1], Libc.F_DUPFD_CLOEXEC, 0, out _);
        Assert.True(dup >= 0);
        try
        {
            var twice = Assert.Throws<TapException>(() => TapPort.AdoptQueues([fds[0], fds[1], fds[0]]));
            Assert.Contains($"fd {fds[0]} is given twice", twice.Message, StringComparison.Ordinal);

            var same = Assert.Throws<TapException>(() => TapPort.AdoptQueues([fds[0], fds[1], dup]));
            Assert.Contains($"fd {fds[1]} and fd {dup} are the same queue of '{name}'", same.Message, StringComparison.Ordinal);
            Assert.All(fds, fd => Assert.True(TapFds.IsOpen(fd), $"fd {fd} was closed by a refused adoption"));
        }
        finally
        {
            Libc.Close(dup);
            TapFds.Close(fds);
        }
    }

    [SkippableFact]
    public void Something_that_is_not_a_tap_among_the_fds_gets_adopts_own_message()
    {
        EndToEnd.RequirePrivileges();
        string name = TapRig.UniqueName();
        int[] fds = TapFds.OpenQueues(name, 1);
        int notTap = Syscall.Open("/dev/null", Libc.O_RDWR | Libc.O_CLOEXEC, out _);
        try
        {
            var e = Assert.Throws<TapException>(() => TapPort.AdoptQueues([fds[0], notTap]));
            Assert.Equal($"cannot adopt fd {notTap}: it is not a TUN/TAP file descriptor", e.Message);
            Assert.Throws<ArgumentException>(() => TapPort.AdoptQueues([]));
        }
        finally
        {
            Libc.Close(notTap);
            TapFds.Close(fds);
        }
    }

    /// <summary>
    /// <c>port add vm0 --fd A,B</c>: the CLI checks the fds, sends both with one request (SCM_RIGHTS), the switch adopts
    /// them as one port with two queues; the device, moved into a host namespace, then reaches a host of the switch.
    /// </summary>
    [SkippableFact]
    public void Port_add_with_two_queue_fds_adds_one_two_queue_port_that_switches()
    {
        EndToEnd.RequirePrivileges();
        using var sw = new RunningSwitch(1);
        string name = TapRig.UniqueName();
        int[] fds = TapFds.OpenQueues(name, 2, inheritable: true); // the child `fastbridge port add` inherits these numbers
        try
        {
            using CliProcess add = sw.Cli($"port add vm0 --fd {fds[0]},{fds[1]}");
            Assert.True(add.ExitCode == 0, add.Stderr);
            Assert.Contains("port vm0 added", add.Stdout, StringComparison.Ordinal);
            Assert.Contains("2 queues", add.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            TapFds.Close(fds); // the switch holds its own now
        }

        JsonElement ports = ControlRig.Parse(sw.Cli("port list --json").Stdout.Trim()).GetProperty("ports");
        JsonElement vm0 = Assert.Single(ports.EnumerateArray(), p => p.GetProperty("name").GetString() == "vm0");
        Assert.Equal(name, vm0.GetProperty("device").GetString());
        Assert.Equal(2, vm0.GetProperty("queues").GetInt32());

        using NetworkNamespace host = NetworkNamespace.Create("fbaq");
        host.MoveIn(name);
        host.Exec($"sysctl -qw net.ipv6.conf.{name}.disable_ipv6=1");
        host.Exec($"ip addr add {SwitchedHosts.Address(9)}/24 dev {name}");
        host.Exec($"ip link set dev {name} up");
        Assert.True(host.TryExec($"ping -c 3 -i 0.2 -W 2 {SwitchedHosts.Address(0)}", 30_000).ExitCode == 0,
            $"no ping through the adopted queues; switch log: {sw.Process.Stderr}");
    }

    [SkippableFact]
    public void Port_add_with_fds_of_two_devices_names_both_and_adds_nothing()
    {
        EndToEnd.RequirePrivileges();
        using var sw = new RunningSwitch(1);
        string a = TapRig.UniqueName(), b = TapRig.UniqueName();
        int[] first = TapFds.OpenQueues(a, 1, inheritable: true), second = TapFds.OpenQueues(b, 1, inheritable: true);
        try
        {
            using CliProcess add = sw.Cli($"port add vm0 --fd {first[0]} --fd {second[0]}");
            Assert.Equal(1, add.ExitCode);
            Assert.Contains($"cannot hand over fds {first[0]},{second[0]}", add.Stderr, StringComparison.Ordinal);
            Assert.Contains($"'{a}'", add.Stderr, StringComparison.Ordinal);
            Assert.Contains($"'{b}'", add.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            TapFds.Close(first);
            TapFds.Close(second);
        }

        Assert.Single(ControlRig.Parse(sw.Cli("port list --json").Stdout.Trim()).GetProperty("ports").EnumerateArray());
    }

    [SkippableFact]
    public void A_request_for_two_queues_with_one_descriptor_is_refused_and_the_descriptor_closed()
    {
        EndToEnd.RequirePrivileges();
        using var rig = new ControlRig();
        string name = TapRig.UniqueName();
        int[] fds = TapFds.OpenQueues(name, 2);
        try
        {
            int before = rig.Bridge.Ports.Count;
            using ControlClient client = rig.Connect();
            string error = ControlRig.AssertError(ControlRig.Ask(client, """{"verb":"port-add","name":"vm0","fd":true,"queues":2}""", fds[0]));
            Assert.Contains("needs 2 descriptor(s)", error, StringComparison.Ordinal);
            Assert.Contains("1 came", error, StringComparison.Ordinal);
            Assert.Equal(before, rig.Bridge.Ports.Count);
        }
        finally
        {
            TapFds.Close(fds);
        }
    }
}
