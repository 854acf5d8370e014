using System.Diagnostics;
using FastBridge.Cli.Demo;
using FastBridge.Diagnostics;
using FastBridge.Frames;
using FastBridge.Ports;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Hostile;

/// <summary>
/// <see cref="MacFloodTests"/>' flood of one million random source MACs, sent through a real TAP at the speed an
/// AF_PACKET socket in the test's namespace manages, while two hosts in namespaces ping each other.
/// </summary>
[Collection(nameof(Hosts.EndToEndCollection))]
public sealed class MacFloodOnTapTests
{
    private const int FloodFrames = Flood.Frames;

    /// <summary>
    /// The same flood through a real TAP (AF_PACKET from the test's namespace) while two hosts ping: the kernel drops
    /// at the TAP's queue what the switch cannot take (that is the speed limit); the pair loses no ping and no victim
    /// frame is flooded to the attacker.
    /// </summary>
    [SkippableFact]
    public void A_million_random_sources_through_a_tap_leave_two_pinging_hosts_undisturbed()
    {
        EndToEnd.RequirePrivileges();
        using var hosts = new SwitchedHosts(2, o => o.StormLimit = 0);
        Assert.True(hosts.Ping(0, 1) && hosts.Ping(1, 0));
        string name = TapRig.UniqueName();
        var injector = TapPort.Open(name, new TapPortOptions { BringUp = false });
        try
        {
            hosts.Bridge.AddPort(injector);
        }
        catch
        {
            injector.Dispose();
            throw;
        }

        NetworkNamespace.Run("sysctl", $"-qw net.ipv6.conf.{name}.disable_ipv6=1");
        NetworkNamespace.Run("ip", $"link set dev {name} up");
        var sink = MacAddress.Parse("02:5e:00:00:00:99");
        Assert.True(hosts.Bridge.MacTable.AddStatic(sink, 0, injector.Id));
        using RawSocket raw = RawSocket.Open(name);
        long attackerRxBefore = long.Parse(File.ReadAllText($"/sys/class/net/{name}/statistics/rx_packets"));

        Task<(int ExitCode, string Output)> ping = Task.Run(() => hosts.Host(0).TryExec($"ping -c 100 -i 0.05 -W 1 {SwitchedHosts.Address(1)}", 60_000));
        var clock = Stopwatch.StartNew();
        byte[] frame = new byte[60];
        sink.WriteTo(frame);
        frame[12] = 0x88;
        frame[13] = 0xb5;
        var random = new Random(1);
        int maxSeen = 0;
        int refused = 0;
        for (int i = 0; i < FloodFrames && clock.Elapsed < TimeSpan.FromSeconds(30); i++)
        {
            random.NextBytes(frame.AsSpan(6, 6));
            frame[6] = (byte)((frame[6] & 0xfc) | 0x02);
            if (!raw.TrySend(frame, out _))
            {
                refused++; // ENOBUFS when the socket's send buffer is full: still "full speed"
            }

            if ((i & 1023) == 0)
            {
                maxSeen = Math.Max(maxSeen, hosts.Bridge.MacTable.Count);
            }
        }

        clock.Stop();
        Assert.True(ping.Wait(TimeSpan.FromSeconds(60)));
        BridgeCounters counters = hosts.Bridge.ReadCounters();
        long dropped = long.Parse(File.ReadAllText($"/sys/class/net/{name}/statistics/tx_dropped"));
        long attackerRx = long.Parse(File.ReadAllText($"/sys/class/net/{name}/statistics/rx_packets")) - attackerRxBefore;
        Console.WriteLine($"TAP flood: {FloodFrames - refused} frames sent in {clock.ElapsedMilliseconds} ms, {refused} refused by the socket, " +
            $"{dropped} dropped at the TAP queue, {counters[name]!.RxFrames} switched; table max {maxSeen}/{counters.MacCapacity}; " +
            $"{attackerRx} frames to the attacker's side");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "the flood took over 30 s");
        Assert.Matches(@"\b100 received, 0% packet loss", ping.Result.Output);
        Assert.True(maxSeen <= counters.MacCapacity && counters.MacCount <= counters.MacCapacity);
        Assert.Equal(hosts.Ports[0].Id, hosts.Bridge.MacTable.Lookup(hosts.Mac(0).Value, 0));
        Assert.Equal(hosts.Ports[1].Id, hosts.Bridge.MacTable.Lookup(hosts.Mac(1).Value, 0));

        // 100 echo requests and 100 replies crossed the switch; flooded, they would have reached the attacker too.
        Assert.True(attackerRx < 20, $"{attackerRx} frames reached the attacker's side during the flood");
    }
}
