using System.Buffers.Binary;
using FastBridge.Cli.Demo;
using FastBridge.Diagnostics;
using FastBridge.Frames;
using FastBridge.Interop;
using FastBridge.Ports;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Hostile;

/// <summary>
/// Malformed and hostile frames written to a real TAP device while two hosts behind the same switch keep pinging.
/// </summary>
/// <remarks>
/// Config: an in-process bridge (storm control off, so every flood is delivered and only malformation drops) with two
/// hosts in namespaces (h1, h2) and a third TAP whose kernel side stays in the test's own (root) namespace, IPv6 off and
/// MTU 65521 (the most a TAP takes), with no address: nothing but the test sends on it. An AF_PACKET raw socket bound
/// to that interface makes the kernel transmit arbitrary bytes on it, so the switch reads exactly the corpus.
/// What a TAP can carry, found with this rig on kernel 6.18 (and asserted below, so a kernel that behaves otherwise
/// fails loudly instead of silently testing less):
/// <list type="bullet">
/// <item>AF_PACKET refuses frames shorter than 14 bytes (EINVAL: dev_validate_header wants the Ethernet header), so a
/// TAP never delivers a runt to the switch; runts are covered through a MemoryPort in <see cref="EveryLengthTests"/>.</item>
/// <item>The kernel does not pad: a 14-byte frame arrives as 14 bytes, a 59-byte one as 59.</item>
/// <item>The longest untagged frame is MTU + 14 = 65,535 bytes (65,536 gives EMSGSIZE), but an 802.1Q-tagged frame may
/// be 4 bytes longer (packet_extra_vlan_len_allowed): 65,536 to 65,539 bytes get through (not with an 802.1ad or 0x9100
/// outer tag). So the switch does see frames over its 65,536-byte limit from a TAP: tagged 65,537..65,539 bytes must
/// count as oversize. Longer ones exist only in memory (<see cref="EveryLengthTests"/>).</item>
/// </list>
/// Test: first the hosts ping each other so both MACs are learned; then the corpus (truncated 802.1Q/802.1ad/QinQ
/// tags, stacked tags, multicast/broadcast/zero sources, random bytes, frames that hairpin to the injector's own
/// station, and a sweep of well-formed frames of every length from 14 to 2,100 then in steps up to 65,539) is sent in
/// batches, each followed by a well-formed frame to h1, while h2 pings h1 in a loop.
/// Verify: nothing crashed; the injecting port's counter for each drop reason equals the number of frames of that
/// reason sent (by a reference rule independent of the parser); h1 received at least every well-formed frame sent to
/// it; every ping round had 0% loss; every port's accounting balances.
/// </remarks>
[Collection(nameof(Hosts.EndToEndCollection))]
public sealed class MalformedCorpusTests
{
    private const int Batch = 32;
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);
    private static readonly DropReason[] s_ingressReasons =
        [DropReason.Runt, DropReason.TruncatedTag, DropReason.InvalidSource, DropReason.Oversize, DropReason.NoBuffer, DropReason.SamePort, DropReason.NoOutput];

    [SkippableFact]
    public void Hostile_frames_on_a_tap_are_each_counted_under_their_reason_while_the_hosts_keep_talking()
    {
        EndToEnd.RequirePrivileges();
        using var hosts = new SwitchedHosts(2, o =>
        {
            o.StormLimit = 0;
            o.LargePoolFrames = 256;
        });
        Assert.True(hosts.Ping(0, 1), "h1 cannot ping h2");
        Assert.True(hosts.Ping(1, 0), "h2 cannot ping h1");
        MacAddress victim = hosts.Mac(0);
        Assert.Equal(hosts.Ports[0].Id, hosts.Bridge.MacTable.Lookup(victim.Value, 0));

        string name = TapRig.UniqueName();
        TapPort injector = TapPort.Open(name, new TapPortOptions { BringUp = false });
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
        NetworkNamespace.Run("ip", $"link set dev {name} mtu 65521 up");
        using RawSocket raw = RawSocket.Open(name);

        // What the kernel refuses never reaches the switch: runts and untagged frames over MTU + 14.
        for (int length = 0; length < 14; length++)
        {
            Assert.False(raw.TrySend(new byte[length], out int errno), $"the kernel sent a {length}-byte runt");
            Assert.Equal(Errno.EINVAL, errno);
        }

        var station = MacAddress.Parse("02:fb:ee:00:00:01");
        byte[] stationBytes = new byte[6];
        station.WriteTo(stationBytes);
        Assert.False(raw.TrySend(FrameBuilder.Raw(victim, stationBytes, 65_536, FrameBuilder.EtherTypeExperimental), out int tooLong));
        Assert.Equal(90, tooLong); // EMSGSIZE

        List<HostileFrame> corpus = BuildCorpus(victim, station, stationBytes);
        var expected = new long[DropReasons.Count];
        var learned = new HashSet<(ulong Mac, int Vlan)>();
        int toVictim = 0;
        foreach (HostileFrame frame in corpus)
        {
            DropReason reason = FrameBuilder.PredictDrop(frame.Bytes, learned);
            expected[(int)reason]++;
            if (reason == DropReason.None && FrameBuilder.Destination(frame.Bytes) == victim.Value)
            {
                toVictim++;
            }
        }

        PortCounters before = hosts.Bridge.ReadCounters()[name]!;
        long victimRxBefore = hosts.Counter(0, "rx_packets");
        using var stop = new CancellationTokenSource();
        Task<List<string>> pings = Task.Run(() => PingUntilStopped(hosts, stop.Token));
        try
        {
            int sent = 0;
            foreach (HostileFrame frame in corpus)
            {
                raw.Send(frame.Bytes);
                if (++sent % Batch == 0 || sent == corpus.Count)
                {
                    // Paced so neither the TAP's queue (txqueuelen 1000) nor the large buffers run out: those would
                    // drop frames for reasons that are not the frames' fault.
                    long target = before.RxFrames + sent;
                    Assert.True(EndToEnd.WaitFor(() => Settled(hosts.Bridge, name, target), s_timeout),
                        $"the switch did not take frame {sent} ({frame.Kind})");
                }
            }
        }
        finally
        {
            stop.Cancel();
        }

        Assert.True(pings.Wait(s_timeout), "the ping loop did not finish");
        List<string> rounds = pings.Result;
        Assert.NotEmpty(rounds);
        foreach (string round in rounds)
        {
            Assert.Matches(@"\b0% packet loss", round);
        }

        PortCounters after = default!;
        bool exact = EndToEnd.WaitFor(() =>
        {
            after = hosts.Bridge.ReadCounters()[name]!;
            foreach (DropReason reason in s_ingressReasons)
            {
                if (after.Dropped(reason) - before.Dropped(reason) != expected[(int)reason])
                {
                    return false;
                }
            }

            return true;
        }, s_timeout);
        string summary = string.Join(", ", s_ingressReasons.Select(r =>
            $"{DropReasons.Name(r)} expected {expected[(int)r]} counted {after.Dropped(r) - before.Dropped(r)}"));
        Assert.True(exact, $"drop counters differ from the corpus: {summary}");
        Console.WriteLine($"corpus of {corpus.Count} frames: {summary}; {expected[0]} well formed, {toVictim} of them to h1; {rounds.Count} ping rounds");
        Assert.True(after.Forwarded - before.Forwarded >= expected[(int)DropReason.None]);

        Assert.True(EndToEnd.WaitFor(() => hosts.Counter(0, "rx_packets") - victimRxBefore >= toVictim, s_timeout),
            $"h1 received {hosts.Counter(0, "rx_packets") - victimRxBefore} frames, fewer than the {toVictim} well-formed ones sent to it");
        Assert.Equal(0, injector.RxErrors);
        Assert.NotEqual(PortState.Gone, injector.State);
        Assert.True(hosts.Ping(0, 1), "h1 cannot ping h2 after the corpus");

        BridgeCounters all = hosts.Bridge.ReadCounters();
        foreach (PortCounters port in all.Ports)
        {
            Assert.Equal(port.RxFrames, port.Forwarded + port.IngressDrops);
            Assert.Equal(0, port.Dropped(DropReason.TxError));
        }

        Assert.True(all.MacCount <= all.MacCapacity);
    }

    /// <summary>The corpus in sending order: each malformed frame followed by a well-formed one to the victim.</summary>
    private static List<HostileFrame> BuildCorpus(MacAddress victim, MacAddress station, byte[] stationBytes)
    {
        var corpus = new List<HostileFrame>();
        byte[] valid = FrameBuilder.Raw(victim, stationBytes, 60, FrameBuilder.EtherTypeExperimental);
        corpus.Add(new(valid, "first well-formed frame (learns the station)"));

        foreach (HostileFrame frame in FrameBuilder.Malformed(victim, station, seed: 5, randomCount: 400))
        {
            corpus.Add(frame);
            corpus.Add(new(valid, "well formed, between hostile frames"));
        }

        // Hairpins: to the injector's own (learned) station, filtered as same-port.
        for (int i = 0; i < 5; i++)
        {
            corpus.Add(new(FrameBuilder.Raw(station, [0x02, 0xfb, 0xee, 0, 0, 2], 60 + i, FrameBuilder.EtherTypeExperimental), "hairpin"));
        }

        // Every length from the shortest the kernel passes to past the small/large buffer edge, then steps to the
        // largest untagged frame, then the tagged frames around the 65,536-byte limit.
        var lengths = new List<int>();
        for (int length = 14; length <= 2100; length++)
        {
            lengths.Add(length);
        }

        for (int length = 2101 + 509; length < 65_535; length += 1021)
        {
            lengths.Add(length);
        }

        lengths.AddRange([4095, 4096, 4097, 9000, 9018, 16_384, 32_768, 65_520, 65_534, 65_535]);
        foreach (int length in lengths)
        {
            corpus.Add(new(FrameBuilder.Raw(victim, stationBytes, length, FrameBuilder.EtherTypeExperimental), $"sweep ({length} bytes)"));
        }

        for (int length = 65_530; length <= 65_539; length++)
        {
            corpus.Add(new(FrameBuilder.Raw(victim, stationBytes, length, FrameParser.TpidDot1Q, 0, FrameBuilder.EtherTypeExperimental), $"tagged sweep ({length} bytes)"));
        }

        corpus.Add(new(valid, "last well-formed frame"));
        return corpus;
    }

    private static bool Settled(Bridge bridge, string injector, long rxTarget)
    {
        BridgeCounters counters = bridge.ReadCounters();
        foreach (PortCounters port in counters.Ports)
        {
            if (port.Name == injector ? port.RxFrames < rxTarget : port.TxOffered != port.TxFrames + port.EgressDrops)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>h2 pings h1 in rounds of 10 until told to stop (at most 100 rounds); returns each round's output.</summary>
    private static List<string> PingUntilStopped(SwitchedHosts hosts, CancellationToken stop)
    {
        var rounds = new List<string>();
        for (int round = 0; round < 100 && (round == 0 || !stop.IsCancellationRequested); round++)
        {
            rounds.Add(hosts.Host(1).TryExec($"ping -c 10 -i 0.05 -W 1 {SwitchedHosts.Address(0)}").Output);
        }

        return rounds;
    }
}
