using FastBridge.Frames;
using FastBridge.Ports;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Hosts;

/// <summary>Three hosts in network namespaces behind real TAP devices, switched by FastBridge.</summary>
[Collection(nameof(EndToEndCollection))]
public sealed class ThreeHostsTests
{
    [SkippableFact]
    public void Every_host_pings_every_other_and_the_table_holds_each_on_its_port()
    {
        EndToEnd.RequirePrivileges();
        using var hosts = new SwitchedHosts(3);

        for (int from = 0; from < 3; from++)
        {
            for (int to = 0; to < 3; to++)
            {
                if (from != to)
                {
                    Assert.True(hosts.Ping(from, to), $"h{from + 1} cannot ping h{to + 1}");
                }
            }
        }

        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(hosts.Ports[i].Id, hosts.Bridge.MacTable.Lookup(hosts.Mac(i).Value, 0));
        }

        var counters = hosts.Bridge.ReadCounters();
        foreach (var port in counters.Ports)
        {
            Assert.True(port.RxFrames > 0 && port.TxFrames > 0, $"{port.Name} moved nothing");
            Assert.Equal(port.RxFrames, port.Forwarded + port.IngressDrops);
        }
    }

    [SkippableFact]
    public void A_frame_to_an_unknown_mac_reaches_every_other_host()
    {
        EndToEnd.RequirePrivileges();
        using var hosts = new SwitchedHosts(3);
        Assert.True(hosts.Ping(0, 1));
        Assert.True(hosts.Ping(0, 2));

        // h1 believes 198.18.0.99 lives at a MAC nobody has: its frames are unknown unicast.
        var nobody = MacAddress.Parse("02:99:99:99:99:99");
        hosts.Host(0).Exec($"ip neigh replace 198.18.0.99 lladdr {nobody} dev {hosts.Taps[0]} nud permanent");
        long before1 = hosts.Counter(1, "rx_packets");
        long before2 = hosts.Counter(2, "rx_packets");
        hosts.Host(0).TryExec("ping -c 20 -i 0.02 -W 1 198.18.0.99");

        Assert.True(EndToEnd.WaitFor(() => hosts.Counter(1, "rx_packets") - before1 >= 20 && hosts.Counter(2, "rx_packets") - before2 >= 20, TimeSpan.FromSeconds(10)),
            "the unknown-unicast frames did not reach both other hosts");
        Assert.Equal(-1, hosts.Bridge.MacTable.Lookup(nobody.Value, 0));
        Assert.True(hosts.Bridge.ReadCounters()[hosts.Taps[0]]!.Flooded >= 20);
    }

    [SkippableFact]
    public void With_a_short_aging_time_entries_disappear()
    {
        EndToEnd.RequirePrivileges();
        using var hosts = new SwitchedHosts(3, o => o.AgingSeconds = 2);
        Assert.True(hosts.Ping(0, 1));
        Assert.True(hosts.Ping(2, 0));
        Assert.True(hosts.Bridge.MacTable.Count >= 3);

        Assert.True(EndToEnd.WaitFor(() => hosts.Bridge.MacTable.Count == 0, TimeSpan.FromSeconds(15)),
            $"{hosts.Bridge.MacTable.Count} entries still there");
        Assert.True(hosts.Bridge.ReadCounters().Aged >= 3);
        Assert.True(hosts.Ping(1, 2)); // and they are learned again
    }

    [SkippableFact]
    public void Deleting_one_tap_while_traffic_flows_leaves_the_other_two_talking()
    {
        EndToEnd.RequirePrivileges();
        using var hosts = new SwitchedHosts(3);
        Assert.True(hosts.Ping(0, 1));
        Assert.True(hosts.Ping(2, 1));

        Task<(int ExitCode, string Output)> flow = Task.Run(() => hosts.Host(0).TryExec($"ping -c 60 -i 0.05 -W 1 {SwitchedHosts.Address(1)}"));
        Task<(int ExitCode, string Output)> doomed = Task.Run(() => hosts.Host(2).TryExec($"ping -c 60 -i 0.05 -W 1 {SwitchedHosts.Address(0)}"));
        Thread.Sleep(500); // let both flows run before the fault (not a wait for a result)
        hosts.Host(2).Exec($"ip link del dev {hosts.Taps[2]}");

        Assert.True(EndToEnd.WaitFor(() => hosts.Ports[2].State == PortState.Gone, TimeSpan.FromSeconds(10)),
            "the bridge did not notice the deleted device");
        Assert.True(flow.Wait(TimeSpan.FromSeconds(30)));
        Assert.Matches(@"\b60 received, 0% packet loss", flow.Result.Output); // h1 -> h2: every ping answered through the fault
        Assert.True(doomed.Wait(TimeSpan.FromSeconds(30)));
        Assert.True(hosts.Ping(1, 0, count: 5));
        Assert.True(EndToEnd.WaitFor(() =>
        {
            hosts.Bridge.Housekeep();
            return hosts.Bridge.ReadCounters()[hosts.Taps[2]]!.State == PortState.Gone && hosts.Bridge.FloodList.Length == 2;
        }, TimeSpan.FromSeconds(10)), "the gone port is still flooded to");
    }
}

[CollectionDefinition(nameof(EndToEndCollection), DisableParallelization = true)]
public sealed class EndToEndCollection;
