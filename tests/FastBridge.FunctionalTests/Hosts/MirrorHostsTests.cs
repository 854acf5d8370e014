using System.Buffers.Binary;
using FastBridge.Cli.Demo;
using FastBridge.Diagnostics;
using FastBridge.Frames;
using FastBridge.Ports;
using FastBridge.Switching;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Hosts;

/// <summary>
/// Port mirroring end to end: three hosts in namespaces and a TAP output port whose reader (this test, AF_PACKET, as
/// an IDS or tcpdump would) sees exactly the pings the mirror selects, while the hosts keep pinging as before.
/// </summary>
[Collection(nameof(EndToEndCollection))]
public sealed class MirrorHostsTests
{
    private static readonly TimeSpan s_quiet = TimeSpan.FromSeconds(1);

    private sealed record Echo(MacAddress Source, bool Request, ushort Sequence);

    [SkippableFact]
    public void A_tap_output_port_sees_exactly_the_mirrored_pings()
    {
        EndToEnd.RequirePrivileges();
        using var hosts = new SwitchedHosts(3);
        string output = TapRig.UniqueName();
        hosts.Bridge.AddPort(TapPort.Open(output));
        NetworkNamespace.Run("sysctl", $"-qw net.ipv6.conf.{output}.disable_ipv6=1");
        NetworkNamespace.Run("ip", $"link set dev {output} up");
        MacAddress[] macs = [hosts.Mac(0), hosts.Mac(1), hosts.Mac(2)];
        Assert.True(hosts.Ping(0, 1) && hosts.Ping(2, 1) && hosts.Ping(0, 2)); // ARP done: only pings from here on

        long floodedBefore = hosts.Bridge.ReadCounters()[output]!.TxOffered; // the ARP broadcasts it took as a plain port

        // rx of h0's port: h0's echo requests, not h1's replies, nothing of h2.
        hosts.Bridge.AddMirror(new Mirror { Name = "ids", Sources = [hosts.Taps[0]], Output = output, Direction = MirrorDirection.Rx });
        List<Echo> seen;
        using (var capture = RawCapture.Open(output))
        {
            Assert.True(hosts.Ping(0, 1, count: 5));
            Assert.True(hosts.Ping(2, 1, count: 3));
            seen = Echoes(capture, macs);
        }

        Assert.Equal(5, seen.Count);
        Assert.All(seen, e => Assert.True(e.Source == macs[0] && e.Request));
        Assert.Equal([1, 2, 3, 4, 5], seen.Select(e => (int)e.Sequence));

        // tx of h0's port: what is sent to h0 (h1's requests), not h0's replies.
        Assert.True(hosts.Bridge.RemoveMirror("ids"));
        hosts.Bridge.AddMirror(new Mirror { Name = "ids", Sources = [hosts.Taps[0]], Output = output, Direction = MirrorDirection.Tx });
        using (var capture = RawCapture.Open(output))
        {
            Assert.True(hosts.Ping(1, 0, count: 4));
            Assert.True(hosts.Ping(2, 1, count: 2));
            seen = Echoes(capture, macs);
        }

        Assert.Equal(4, seen.Count);
        Assert.All(seen, e => Assert.True(e.Source == macs[1] && e.Request));

        PortCounters counters = hosts.Bridge.ReadCounters()[output]!;
        Assert.Equal(counters.TxOffered, counters.TxFrames + counters.EgressDrops);
        Assert.Equal(hosts.Bridge.ReadCounters()[hosts.Taps[0]]![Counter.Mirrored], counters.TxOffered - floodedBefore);
    }

    /// <summary>The ICMP echoes among the frames read until the output port has been quiet for a second.</summary>
    private static List<Echo> Echoes(RawCapture capture, MacAddress[] hosts)
    {
        var echoes = new List<Echo>();
        long deadline = Environment.TickCount64 + 20_000;
        while (Environment.TickCount64 < deadline && capture.Receive(s_quiet) is { } frame)
        {
            FrameParser.Parse(frame, out FrameInfo info);
            MacAddress source = info.SourceMac;
            if (Array.IndexOf(hosts, source) < 0 || info.EtherType != 0x0800 || frame.Length < 42 || frame[23] != 1)
            {
                continue; // not a host's IPv4 ICMP (the output TAP's own kernel side may speak too)
            }

            int icmp = 14 + ((frame[14] & 0x0F) * 4);
            if (frame[icmp] is 8 or 0)
            {
                echoes.Add(new Echo(source, frame[icmp] == 8, BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(icmp + 6))));
            }
        }

        return echoes;
    }
}
