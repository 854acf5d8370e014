using System.Buffers.Binary;
using FastBridge.Cli.Demo;
using FastBridge.Frames;
using FastBridge.Ports;
using FastBridge.Switching;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Hosts;

/// <summary>
/// VLANs end to end: three hosts in namespaces on access ports of VLANs 10, 20 and 30, and a trunk (10, 20; native 30)
/// whose host is this test itself, reading and writing tagged frames with AF_PACKET (this kernel has no 802.1Q
/// subinterfaces). The trunk host answers ARP for 198.18.0.210 in VLAN 10, .220 in VLAN 20 and .230 untagged.
/// </summary>
[Collection(nameof(EndToEndCollection))]
public sealed class VlanHostsTests
{
    private static readonly MacAddress s_trunkMac = MacAddress.Parse("02:00:5e:10:00:fe");
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(20);

    private sealed record Seen(int Vid, MacAddress Source, ushort EtherType, bool IcmpEcho, uint ArpTarget);

    [SkippableFact]
    public void Access_hosts_reach_only_their_vlan_on_the_trunk_and_a_live_change_takes_effect_and_flushes()
    {
        EndToEnd.RequirePrivileges();
        using var hosts = new SwitchedHosts(3);
        string trunk = TapRig.UniqueName();
        hosts.Bridge.AddPort(TapPort.Open(trunk));
        NetworkNamespace.Run("sysctl", $"-qw net.ipv6.conf.{trunk}.disable_ipv6=1");
        NetworkNamespace.Run("ip", $"link set dev {trunk} up");
        Assert.True(VlanSet.TryParse("10,20", out VlanSet? trunkVlans, out _));
        hosts.Bridge.SetPortPolicy(hosts.Taps[0], new PortPolicy { Vlan = PortVlan.Access(10) });
        hosts.Bridge.SetPortPolicy(hosts.Taps[1], new PortPolicy { Vlan = PortVlan.Access(20) });
        hosts.Bridge.SetPortPolicy(hosts.Taps[2], new PortPolicy { Vlan = PortVlan.Access(30) });
        hosts.Bridge.SetPortPolicy(trunk, new PortPolicy { Vlan = PortVlan.Trunk(trunkVlans, native: 30) });

        var seen = new List<Seen>();
        using var capture = RawCapture.Open(trunk);
        using var send = RawSocket.Open(trunk);
        using var stop = new CancellationTokenSource();
        var responder = new Thread(() => Respond(capture, send, seen, stop.Token)) { IsBackground = true, Name = "trunk host" };
        responder.Start();
        try
        {
            MacAddress[] macs = [hosts.Mac(0), hosts.Mac(1), hosts.Mac(2)];
            bool Saw(Func<Seen, bool> match)
            {
                lock (seen)
                {
                    return seen.Any(match);
                }
            }

            // Each access host's ping to the trunk host: ARP answered in its VLAN, then its ICMP echo arrives tagged so.
            for (int i = 0; i < 3; i++)
            {
                int vid = 10 * (i + 1);
                string target = $"198.18.0.2{i + 1}0";
                int h = i;
                Assert.True(EndToEnd.WaitFor(() =>
                {
                    hosts.Host(h).TryExec($"ping -c 1 -W 1 {target}", 10_000);
                    return Saw(s => s.Source == macs[h] && s.IcmpEcho);
                }, s_timeout), $"h{h}'s echo to {target} never reached the trunk");
                int expectedVid = vid == 30 ? -1 : vid; // VLAN 30 is the trunk's native VLAN: untagged
                Assert.True(Saw(s => s.Source == macs[h] && s.IcmpEcho && s.Vid == expectedVid));
            }

            // The access hosts never reach each other; h0's ARP broadcast for h1 stays in VLAN 10.
            long h1Received = hosts.Counter(1, "rx_packets");
            Assert.False(hosts.Ping(0, 1, count: 2, waitSeconds: 1));
            Assert.True(EndToEnd.WaitFor(() => Saw(s => s.Source == macs[0] && s.ArpTarget == 0xC6120002 && s.Vid == 10), s_timeout));
            Assert.Equal(h1Received, hosts.Counter(1, "rx_packets"));
            lock (seen)
            {
                Assert.All(seen.Where(s => s.Source == macs[0]), s => Assert.Equal(10, s.Vid));
                Assert.All(seen.Where(s => s.Source == macs[1]), s => Assert.Equal(20, s.Vid));
                Assert.All(seen.Where(s => s.Source == macs[2]), s => Assert.Equal(-1, s.Vid));
            }

            // Live: h1 moves to VLAN 10; what it learned in VLAN 20 is flushed and it now reaches h0.
            int h1Port = hosts.Ports[1].Id;
            Assert.Equal(h1Port, hosts.Bridge.MacTable.Lookup(macs[1].Value, 20));
            Assert.True(hosts.Bridge.SetPortPolicy(hosts.Taps[1], new PortPolicy { Vlan = PortVlan.Access(10) }) >= 1);
            Assert.Equal(-1, hosts.Bridge.MacTable.Lookup(macs[1].Value, 20));
            Assert.True(EndToEnd.WaitFor(() => hosts.Ping(1, 0, waitSeconds: 1), s_timeout), "h1 cannot reach h0 after joining VLAN 10");
            Assert.Equal(h1Port, hosts.Bridge.MacTable.Lookup(macs[1].Value, 10));

            foreach (PortCounters port in hosts.Bridge.ReadCounters().Ports)
            {
                Assert.Equal(port.RxFrames, port.Forwarded + port.IngressDrops);
            }
        }
        finally
        {
            stop.Cancel();
            responder.Join();
        }
    }

    /// <summary>Records what arrives on the trunk and answers ARP for .210/.220/.230 with the request's own tag.</summary>
    private static void Respond(RawCapture capture, RawSocket send, List<Seen> seen, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            if (capture.Receive(TimeSpan.FromMilliseconds(100)) is not { } frame)
            {
                continue;
            }

            FrameParser.Parse(frame, out FrameInfo info);
            int p = info.PayloadOffset;
            bool arp = info.EtherType == 0x0806 && frame.Length >= p + 28;
            bool echo = info.EtherType == 0x0800 && frame.Length >= p + 21 && frame[p + 9] == 1 && frame[p + 20] == 8;
            uint arpTarget = arp ? BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(p + 24)) : 0;
            lock (seen)
            {
                seen.Add(new Seen(info.TagCount > 0 ? info.VlanId : -1, info.SourceMac, info.EtherType, echo, arpTarget));
            }

            if (arp && BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(p + 6)) == 1 && arpTarget is 0xC61200D2 or 0xC61200DC or 0xC61200E6)
            {
                send.Send(ArpReply(frame, p));
            }
        }
    }

    private static byte[] ArpReply(byte[] request, int p)
    {
        var reply = new byte[p + 28];
        request.AsSpan(6, 6).CopyTo(reply);                 // to the requester
        s_trunkMac.WriteTo(reply.AsSpan(6));
        request.AsSpan(12, p - 12).CopyTo(reply.AsSpan(12)); // the same tag (if any) and EtherType
        request.AsSpan(p, 6).CopyTo(reply.AsSpan(p));        // htype, ptype, hlen, plen
        BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(p + 6), 2);
        s_trunkMac.WriteTo(reply.AsSpan(p + 8));
        request.AsSpan(p + 24, 4).CopyTo(reply.AsSpan(p + 14));  // the address asked for
        request.AsSpan(p + 8, 10).CopyTo(reply.AsSpan(p + 18));  // the requester's MAC and address
        return reply;
    }
}
