using FastBridge.Cli.Demo;
using FastBridge.Diagnostics;
using FastBridge.Interop;
using FastBridge.Ports;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Ports;

/// <summary>
/// TAP reads armed in the workers' io_uring (<c>TapPort.BatchRead.cs</c>), end to end: ports removed and added again
/// while frames flow, and a TAP deleted while frames flow, leave every pool buffer returned and every port's
/// accounting balanced, and the frames between the other hosts all arrive.
/// </summary>
/// <remarks>
/// Config: hosts h1..h3 behind an in-process bridge with two workers. Test: h1 pings h2 fast and floods unknown
/// unicast (to every port, h3's too) while h3's port is removed and added again, or its TAP deleted. Verify: no loss
/// between h1 and h2, counters balanced, and once every port is removed, every small and large buffer back in the pool
/// (reads armed at removal were cancelled and their buffers returned).
/// </remarks>
[Collection(nameof(Hosts.EndToEndCollection))]
public sealed class TapRingReadTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(20);

    [SkippableFact]
    public void Ports_removed_and_added_again_under_traffic_leave_no_buffer_rented()
    {
        EndToEnd.RequirePrivileges();
        using var hosts = new SwitchedHosts(3, o => o.StormLimit = 0);
        WarmUp(hosts);
        AssertReadsBatchedUnlessRefused(hosts.Ports[0]);
        Task<(int ExitCode, string Output)> flow = StartFlow(hosts);
        string name = hosts.Taps[2];

        for (int round = 0; round < 5; round++)
        {
            hosts.Host(0).TryExec("ping -c 20 -i 0.005 -W 1 198.18.0.99"); // floods reach h3's port with reads armed
            Assert.True(hosts.Bridge.RemovePort(name)); // the port created the device: it goes with the port's fd
            Assert.True(
                EndToEnd.WaitFor(() => hosts.Host(2).TryExec($"ip link show dev {name}").ExitCode != 0, s_timeout),
                "the removed port's device is still there");
            hosts.Bridge.AddPort(TapPort.Open(name));
            hosts.Host(2).MoveIn(name);
            hosts.Host(2).Exec($"sysctl -qw net.ipv6.conf.{name}.disable_ipv6=1");
            hosts.Host(2).Exec($"ip addr add {SwitchedHosts.Address(2)}/24 dev {name}");
            hosts.Host(2).Exec($"ip link set dev {name} up");
        }

        Assert.True(hosts.Ping(2, 0), "h3 cannot ping h1 through the re-added port");
        AssertFlowLostNothing(flow);
        AssertBalanced(hosts.Bridge);
        AssertEveryBufferReturned(hosts);
    }

    [SkippableFact]
    public void A_tap_deleted_under_traffic_returns_its_read_buffers()
    {
        EndToEnd.RequirePrivileges();
        using var hosts = new SwitchedHosts(3, o => o.StormLimit = 0);
        WarmUp(hosts);
        Task<(int ExitCode, string Output)> flow = StartFlow(hosts);
        Task<(int ExitCode, string Output)> third = Task.Run(
            () => hosts.Host(2).TryExec($"ping -c 400 -i 0.005 -W 1 {SwitchedHosts.Address(0)}", 60_000));

        Thread.Sleep(200); // (not a wait for a condition: h3's frames are mid-flow when its device goes)
        hosts.Host(2).Exec($"ip link del dev {hosts.Taps[2]}");
        Assert.True(EndToEnd.WaitFor(() => hosts.Ports[2].State == PortState.Gone, s_timeout), "the deletion went unnoticed");
        Assert.True(third.Wait(TimeSpan.FromSeconds(60)));

        AssertFlowLostNothing(flow);
        AssertBalanced(hosts.Bridge);
        AssertEveryBufferReturned(hosts);
    }

    private static void AssertReadsBatchedUnlessRefused(TapPort port)
    {
        if (!IoUringBatch.Refused && Environment.GetEnvironmentVariable("FASTBRIDGE_IO_URING_READS") != "0")
        {
            Assert.True(EndToEnd.WaitFor(() => port.ReadsBatched, s_timeout), "the port does not read through the worker's ring");
        }
    }

    private static void AssertEveryBufferReturned(SwitchedHosts hosts)
    {
        foreach (string tap in hosts.Taps)
        {
            hosts.Bridge.RemovePort(tap);
        }

        Assert.Equal(hosts.Bridge.Pool.SmallCount, hosts.Bridge.Pool.SmallAvailable);
        Assert.Equal(hosts.Bridge.Pool.LargeCount, hosts.Bridge.Pool.LargeAvailable);
    }

    private static void WarmUp(SwitchedHosts hosts)
    {
        Assert.True(hosts.Ping(1, 0), "h2 cannot ping h1");
        Assert.True(hosts.Ping(2, 0), "h3 cannot ping h1");
        Assert.True(hosts.Ping(0, 1), "h1 cannot ping h2");
        hosts.Host(0).Exec($"ip neigh replace 198.18.0.99 lladdr 02:99:99:99:99:99 dev {hosts.Taps[0]} nud permanent");
    }

    private static Task<(int ExitCode, string Output)> StartFlow(SwitchedHosts hosts) =>
        Task.Run(() => hosts.Host(0).TryExec($"ping -c 300 -i 0.01 -W 1 {SwitchedHosts.Address(1)}", 60_000));

    private static void AssertFlowLostNothing(Task<(int ExitCode, string Output)> flow)
    {
        Assert.True(flow.Wait(TimeSpan.FromSeconds(60)), "the h1 -> h2 ping did not finish");
        Assert.Matches(@"\b300 received, 0% packet loss", flow.Result.Output);
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
