using FastBridge.Cli.Demo;
using FastBridge.Diagnostics;
using FastBridge.Interop;
using FastBridge.Ports;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Hostile;

/// <summary>
/// Faults on one port while two other hosts ping each other through the switch: the faulted port changes state and
/// counts, and the pair that is not faulted loses nothing.
/// </summary>
/// <remarks>
/// Every test: config = hosts h1..h3 (or h1, h2 and an adopted TAP) behind an in-process bridge; test = start
/// <c>ping -c 80 -i 0.05</c> from h1 to h2, fault the third port, drive frames at it (unknown unicast from h1, which
/// floods, so the switch must write to the faulted device); verify = the port's state and counters, the bridge's
/// flood list, and "0% packet loss" for h1 to h2.
/// </remarks>
[Collection(nameof(Hosts.EndToEndCollection))]
public sealed class FaultTests
{
    private const int FlowCount = 80;
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(20);

    [SkippableFact]
    public void A_tap_set_down_goes_link_down_counts_port_down_and_comes_back_up()
    {
        EndToEnd.RequirePrivileges();
        using var hosts = new SwitchedHosts(3, o => o.StormLimit = 0);
        WarmUp(hosts, 3);
        Task<(int ExitCode, string Output)> flow = StartFlow(hosts);

        hosts.Host(2).Exec($"ip link set dev {hosts.Taps[2]} down");
        Assert.True(FloodUntil(hosts, () => hosts.Ports[2].State == PortState.LinkDown),
            $"the port did not go down: {hosts.Ports[2].State} ({hosts.Ports[2].StateReason})");
        long downDrops = hosts.Bridge.ReadCounters()[hosts.Taps[2]]!.Dropped(DropReason.PortDown);
        Assert.True(downDrops > 0, "frames to the down port were not counted as port-down");
        Assert.Contains("EIO", hosts.Ports[2].StateReason, StringComparison.Ordinal);

        hosts.Host(2).Exec($"ip link set dev {hosts.Taps[2]} up");
        Assert.True(FloodUntil(hosts, () => hosts.Ports[2].State == PortState.Up),
            $"the port did not come back up: {hosts.Ports[2].State} ({hosts.Ports[2].StateReason})");
        Assert.True(hosts.Ping(2, 0), "h3 cannot ping h1 after its link came back");

        AssertFlowLostNothing(flow);
        AssertBalanced(hosts.Bridge);
        Console.WriteLine($"link down: {downDrops} frames counted port-down; state now {hosts.Ports[2].State} ({hosts.Ports[2].StateReason})");
    }

    [SkippableFact]
    public void An_adopted_fd_closed_by_its_embedder_keeps_working_and_its_device_failing_makes_it_gone()
    {
        EndToEnd.RequirePrivileges();
        using var hosts = new SwitchedHosts(2, o => o.StormLimit = 0);
        string name = TapRig.UniqueName();
        using var ns = NetworkNamespace.Create("fbe");
        int fd = TapFd.Open(name);
        bool closed = false;
        try
        {
            TapPort adopted = TapPort.Adopt(fd, ownsFd: false);
            hosts.Bridge.AddPort(adopted);
            AddHost(ns, name, 2);
            WarmUp(hosts, 2);
            Assert.True(hosts.Host(0).TryExec("ping -c 2 -i 0.1 -W 2 198.18.0.3").ExitCode == 0, "h1 cannot ping the adopted host");
            long h2Before = hosts.Counter(1, "rx_packets");
            Task<(int ExitCode, string Output)> flow = StartFlow(hosts);
            Assert.True(EndToEnd.WaitFor(() => hosts.Counter(1, "rx_packets") - h2Before >= 10, s_timeout), "the flow did not start");

            // The embedder closes its fd: the port has its own duplicate, so it goes on switching; the device
            // then fails under it (deleted): the port goes gone, and the others lose nothing throughout.
            Assert.Equal(0, Libc.Close(fd));
            closed = true;
            Assert.True(hosts.Host(0).TryExec("ping -c 3 -i 0.1 -W 2 198.18.0.3").ExitCode == 0, "the adopted port stopped when its embedder closed its own fd");
            Assert.Equal(PortState.Up, adopted.State);
            ns.Exec($"ip link del dev {name}");
            Assert.True(EndToEnd.WaitFor(() => adopted.State == PortState.Gone, s_timeout),
                $"the port did not notice its device went away: {adopted.State}");
            Assert.True(EndToEnd.WaitFor(() =>
            {
                hosts.Bridge.Housekeep();
                return hosts.Bridge.FloodList.Length == 2;
            }, s_timeout), "the gone port is still flooded to");

            AssertFlowLostNothing(flow);
            Assert.True(hosts.Bridge.RemovePort(name));
            AssertBalanced(hosts.Bridge);
        }
        finally
        {
            if (!closed)
            {
                Libc.Close(fd);
            }
        }
    }

    /// <summary>
    /// An embedder that closes an adopted fd (ownsFd: false) and whose next open gets the same number: the port goes
    /// on reading and writing whatever that number now is. Shown with dup2, which does close-and-reuse atomically, onto
    /// another non-blocking TAP: the port writes the switch's floods into it. (Onto a blocking fd, as a first version of
    /// this test did, the worker blocks in readv instead, and every port it owns stops.)
    /// </summary>
    [SkippableFact]
    public void A_reused_fd_number_is_not_read_or_written_by_the_port()
    {
        EndToEnd.RequirePrivileges();
        using var hosts = new SwitchedHosts(2, o => o.StormLimit = 0);
        string adoptedName = TapRig.UniqueName();
        string strangerName = TapRig.UniqueName();
        using var ns = NetworkNamespace.Create("fbe");
        using var strangerNs = NetworkNamespace.Create("fbe");
        int fd = TapFd.Open(adoptedName);
        int stranger = TapFd.Open(strangerName);
        try
        {
            hosts.Bridge.AddPort(TapPort.Adopt(fd, ownsFd: false));
            AddHost(ns, adoptedName, 2);
            strangerNs.MoveIn(strangerName);
            strangerNs.Exec($"sysctl -qw net.ipv6.conf.{strangerName}.disable_ipv6=1");
            strangerNs.Exec($"ip link set dev {strangerName} up");
            WarmUp(hosts, 2);

            // The embedder's fd number now means another device (its own TAP, say): close-and-reuse in one step.
            Assert.Equal(0, Syscall.SetNonBlocking(stranger, out _));
            TapFd.Duplicate(stranger, fd);
            FloodUntil(hosts, () => false, rounds: 3);

            long leaked = strangerNs.ReadCounter(strangerName, "rx_packets");
            Assert.True(leaked == 0, $"the port wrote {leaked} frames into {strangerName}, a device it was never given");
        }
        finally
        {
            Libc.Close(fd);
            Libc.Close(stranger);
        }
    }

    [SkippableFact]
    public void A_deleted_tap_can_be_removed_and_added_again_under_the_same_name()
    {
        EndToEnd.RequirePrivileges();
        using var hosts = new SwitchedHosts(3, o => o.StormLimit = 0);
        WarmUp(hosts, 3);
        Task<(int ExitCode, string Output)> flow = StartFlow(hosts);
        string name = hosts.Taps[2];

        hosts.Host(2).Exec($"ip link del dev {name}");
        Assert.True(EndToEnd.WaitFor(() => hosts.Ports[2].State == PortState.Gone, s_timeout), "the deletion went unnoticed");
        Assert.True(hosts.Bridge.RemovePort(name));
        Assert.Null(hosts.Bridge.FindPort(name));

        hosts.Bridge.AddPort(TapPort.Open(name));
        AddHost(hosts.Host(2), name, 2);
        Assert.True(hosts.Ping(2, 0), "h3 cannot ping h1 through the re-added port");
        Assert.True(hosts.Ping(1, 2), "h2 cannot ping h3 through the re-added port");
        Assert.Equal(hosts.Bridge.FindPort(name)!.Id, hosts.Bridge.MacTable.Lookup(hosts.Mac(2).Value, 0));

        AssertFlowLostNothing(flow);
        AssertBalanced(hosts.Bridge);
    }

    /// <summary>Moves TAP <paramref name="name"/> into <paramref name="ns"/> as host 198.18.0.(index+1), IPv6 off, up.</summary>
    private static void AddHost(NetworkNamespace ns, string name, int index)
    {
        ns.MoveIn(name);
        ns.Exec($"sysctl -qw net.ipv6.conf.{name}.disable_ipv6=1");
        ns.Exec($"ip addr add {SwitchedHosts.Address(index)}/24 dev {name}");
        ns.Exec($"ip link set dev {name} up");
    }

    /// <summary>Every host pings h1, so every MAC is learned; h1 gets a static neighbour nobody has (for floods).</summary>
    private static void WarmUp(SwitchedHosts hosts, int count)
    {
        for (int i = 1; i < count; i++)
        {
            Assert.True(hosts.Ping(i, 0), $"h{i + 1} cannot ping h1");
        }

        Assert.True(hosts.Ping(0, 1), "h1 cannot ping h2");
        hosts.Host(0).Exec($"ip neigh replace 198.18.0.99 lladdr 02:99:99:99:99:99 dev {hosts.Taps[0]} nud permanent");
    }

    private static Task<(int ExitCode, string Output)> StartFlow(SwitchedHosts hosts) =>
        Task.Run(() => hosts.Host(0).TryExec($"ping -c {FlowCount} -i 0.05 -W 1 {SwitchedHosts.Address(1)}", 60_000));

    /// <summary>Floods unknown unicast from h1 in short rounds until <paramref name="done"/> holds (bounded).</summary>
    private static bool FloodUntil(SwitchedHosts hosts, Func<bool> done, int rounds = 20)
    {
        for (int round = 0; round < rounds; round++)
        {
            hosts.Host(0).TryExec("ping -c 5 -i 0.02 -W 1 198.18.0.99");
            if (EndToEnd.WaitFor(done, TimeSpan.FromMilliseconds(200)))
            {
                return true;
            }
        }

        return done();
    }

    private static void AssertFlowLostNothing(Task<(int ExitCode, string Output)> flow)
    {
        Assert.True(flow.Wait(TimeSpan.FromSeconds(60)), "the h1 -> h2 ping did not finish");
        Assert.Matches($@"\b{FlowCount} received, 0% packet loss", flow.Result.Output);
    }

    private static void AssertBalanced(Bridge bridge)
    {
        Assert.True(EndToEnd.WaitFor(() =>
        {
            foreach (PortCounters port in bridge.ReadCounters().Ports)
            {
                if (port.RxFrames != port.Forwarded + port.IngressDrops || port.TxOffered != port.TxFrames + port.EgressDrops)
                {
                    return false;
                }
            }

            return true;
        }, s_timeout), "a port's accounting does not balance");
    }
}
