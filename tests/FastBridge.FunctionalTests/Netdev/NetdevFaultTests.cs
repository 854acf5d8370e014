using FastBridge.Ports;
using FastBridge.Ports.Netdev;
using FastBridge.Tests.Hosts;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Netdev;

/// <summary>
/// Faults on a netdev port's interface, as for TAPs: the interface deleted while traffic flows marks the port gone
/// with a reason while the other ports keep switching, and a re-created interface of that name can be added again;
/// set down and up, the port follows; removed, the port leaves the interface as it found it (down if it was down,
/// promiscuity back to 0).
/// </summary>
[Collection(nameof(EndToEndCollection))]
public sealed class NetdevFaultTests
{
    private const string VethAddress = "198.18.0.11";
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    [SkippableFact]
    public void A_veth_deleted_while_traffic_flows_makes_its_port_gone_the_others_keep_switching_and_the_new_one_can_be_added()
    {
        EndToEnd.RequirePrivileges();
        using var hosts = new SwitchedHosts(2);
        using var veth = VethHost.Create(VethAddress);
        NetdevPort port = NetdevPort.Open(veth.SwitchSide);
        hosts.Bridge.AddPort(port);
        Assert.True(veth.Ping(SwitchedHosts.Address(0), count: 2), "the veth host cannot reach the TAP host");

        // Traffic both ways through the port (requests in, replies out), bounded to ~3 s.
        Task<(int ExitCode, string Output)> flow = Task.Run(() => veth.Namespace.TryExec($"ping -q -c 1500 -i 0.002 -W 1 {SwitchedHosts.Address(0)}", 30_000));
        long before = hosts.Bridge.ReadCounters()[port.Name]!.RxFrames;
        Assert.True(EndToEnd.WaitFor(() => hosts.Bridge.ReadCounters()[port.Name]!.RxFrames > before + 50, s_timeout), "no traffic flowed through the port");
        veth.DeletePair();

        Assert.True(EndToEnd.WaitFor(() => port.State == PortState.Gone, s_timeout), $"the deletion went unnoticed: {port.State} ({port.StateReason})");
        Assert.Contains("deleted", port.StateReason, StringComparison.Ordinal);
        flow.Wait(TimeSpan.FromSeconds(40));
        Assert.Equal(0, hosts.Host(0).TryExec($"ping -c 2 -i 0.1 -W 2 {SwitchedHosts.Address(1)}").ExitCode); // the others switch on

        // The interface comes back under the same name: a new port for it, and traffic again.
        veth.CreatePair();
        Assert.True(hosts.Bridge.RemovePort(port.Name));
        NetdevPort again = NetdevPort.Open(veth.SwitchSide);
        hosts.Bridge.AddPort(again);
        Assert.True(veth.Ping(SwitchedHosts.Address(0), count: 2, waitSeconds: 3), "the re-created veth's new port does not switch");
        Assert.Equal(PortState.Up, again.State);
    }

    [SkippableFact]
    public void A_veth_set_down_and_up_is_followed_by_its_port_and_the_port_leaves_it_as_found()
    {
        EndToEnd.RequirePrivileges();
        using var hosts = new SwitchedHosts(1);
        using var veth = VethHost.Create(VethAddress);
        Assert.False(IsUp(veth.SwitchSide));
        Assert.Equal(0, Promiscuity(veth.SwitchSide));
        NetdevPort port = NetdevPort.Open(veth.SwitchSide);
        hosts.Bridge.AddPort(port);
        Assert.True(port.BroughtUp, "the switch side was down, so the port should have brought it up");
        Assert.True(Promiscuity(veth.SwitchSide) > 0, "the port's socket did not make the interface promiscuous");
        Assert.True(veth.Ping(SwitchedHosts.Address(0), count: 2));

        NetworkNamespaceRun($"link set dev {veth.SwitchSide} down");
        Assert.True(EndToEnd.WaitFor(() => port.State == PortState.LinkDown, s_timeout), $"down went unnoticed: {port.State} ({port.StateReason})");
        NetworkNamespaceRun($"link set dev {veth.SwitchSide} up");
        Assert.True(EndToEnd.WaitFor(() => port.State == PortState.Up, s_timeout), $"up again went unnoticed: {port.State} ({port.StateReason})");
        Assert.True(veth.Ping(SwitchedHosts.Address(0), count: 2, waitSeconds: 3), "no traffic after the interface came back up");

        // Removed: down again (the port brought it up) and no longer promiscuous (the socket's membership ended).
        Assert.True(hosts.Bridge.RemovePort(port.Name));
        Assert.False(IsUp(veth.SwitchSide), "the port brought the interface up and should set it down again");
        Assert.Equal(0, Promiscuity(veth.SwitchSide));

        // An interface that was up when attached stays up when the port goes.
        NetworkNamespaceRun($"link set dev {veth.SwitchSide} up");
        NetdevPort second = NetdevPort.Open(veth.SwitchSide);
        hosts.Bridge.AddPort(second);
        Assert.False(second.BroughtUp);
        Assert.True(hosts.Bridge.RemovePort(second.Name));
        Assert.True(IsUp(veth.SwitchSide), "an interface that was up should stay up");
        Assert.Equal(0, Promiscuity(veth.SwitchSide));
    }

    private static void NetworkNamespaceRun(string arguments) => FastBridge.Cli.Demo.NetworkNamespace.Run("ip", arguments);

    private static bool IsUp(string ifName) =>
        (Convert.ToInt32(File.ReadAllText($"/sys/class/net/{ifName}/flags").Trim(), 16) & 1) != 0; // IFF_UP

    private static int Promiscuity(string ifName)
    {
        string detail = FastBridge.Cli.Demo.NetworkNamespace.Run("ip", $"-d link show dev {ifName}");
        int at = detail.IndexOf("promiscuity ", StringComparison.Ordinal);
        Assert.True(at >= 0, detail);
        string rest = detail[(at + "promiscuity ".Length)..];
        return int.Parse(rest[..rest.IndexOf(' ', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture);
    }
}
