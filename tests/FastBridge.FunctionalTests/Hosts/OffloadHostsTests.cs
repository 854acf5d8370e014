using System.Text.Json;
using FastBridge.Buffers;
using FastBridge.Diagnostics;
using FastBridge.Ports;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Hosts;

/// <summary>
/// TCP and UDP between hosts behind TAPs opened with offloads (virtio-net header, TSO/USO): super-frames cross the
/// switch whole between offload TAPs, and are segmented with correct checksums towards a TAP without offloads or a
/// MemoryPort.
/// </summary>
[Collection(nameof(EndToEndCollection))]
public sealed class OffloadHostsTests
{
    [SkippableFact]
    public void Tcp_between_offload_taps_moves_super_frames_whole()
    {
        EndToEnd.RequirePrivileges();
        RequireIperf3();
        using var hosts = new SwitchedHosts(2);
        Assert.True(hosts.Ports[0].AcceptsOffloads);
        Assert.True(hosts.Ping(0, 1));

        long received = Iperf3(hosts, client: 0, server: 1);

        Assert.True(received > 10_000_000, $"only {received} bytes arrived");
        Assert.True(hosts.Ports[0].RxSuperFrames > 0, "no GSO super-frame was read from the sender's TAP");
        PortCounters sender = hosts.Bridge.ReadCounters()[hosts.Ports[0].Name]!;
        Assert.True(sender.RxBytes / sender.RxFrames > 1514, $"{sender.RxBytes} bytes in {sender.RxFrames} frames: no super-frames");
        AssertBalanced(hosts);
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void Tcp_from_an_offload_tap_to_a_tap_without_offloads_is_segmented_in_software(bool reverse)
    {
        EndToEnd.RequirePrivileges();
        RequireIperf3();
        using var hosts = new SwitchedHosts(2, tapOptions: i => new TapPortOptions { Offloads = i == 0 });
        Assert.True(hosts.Ports[0].AcceptsOffloads);
        Assert.False(hosts.Ports[1].AcceptsOffloads);
        Assert.True(hosts.Ping(0, 1));

        long received = Iperf3(hosts, client: 0, server: 1, reverse);

        Assert.True(received > 10_000_000, $"only {received} bytes arrived");
        Assert.Equal(0, ChecksumErrors(hosts.Host(1)));
        Assert.Equal(0, ChecksumErrors(hosts.Host(0)));
        if (!reverse)
        {
            Assert.True(hosts.Ports[0].RxSuperFrames > 0, "no GSO super-frame was read from the sender's TAP");
            PortCounters plain = hosts.Bridge.ReadCounters()[hosts.Ports[1].Name]!;
            Assert.True(plain.TxBytes > plain.TxFrames * 1514L, "bytes on the wire should exceed one MTU frame per counted super-frame");
        }

        AssertBalanced(hosts);
    }

    [SkippableFact]
    public void Tcp_over_ipv6_from_an_offload_tap_to_a_tap_without_offloads_is_segmented_in_software()
    {
        EndToEnd.RequirePrivileges();
        RequireIperf3();
        using var hosts = new SwitchedHosts(2, tapOptions: i => new TapPortOptions { Offloads = i == 0 });
        for (int i = 0; i < 2; i++)
        {
            hosts.Host(i).Exec($"sysctl -qw net.ipv6.conf.{hosts.Taps[i]}.disable_ipv6=0");
            hosts.Host(i).Exec($"ip -6 addr add 2001:2:0:18::{i + 1}/64 dev {hosts.Taps[i]} nodad");
        }

        Assert.True(EndToEnd.WaitFor(() => hosts.Host(0).TryExec("ping -6 -c 1 -W 1 2001:2:0:18::2").ExitCode == 0, TimeSpan.FromSeconds(10)));
        hosts.Host(1).Exec("iperf3 -s -1 -D -B 2001:2:0:18::2");
        Thread.Sleep(300);
        string json = hosts.Host(0).Exec("iperf3 -c 2001:2:0:18::2 -t 2 -J", 60_000);
        using var doc = JsonDocument.Parse(json);
        long received = doc.RootElement.GetProperty("end").GetProperty("sum_received").GetProperty("bytes").GetInt64();

        Assert.True(received > 10_000_000, $"only {received} bytes arrived");
        Assert.True(hosts.Ports[0].RxSuperFrames > 0, "no GSO super-frame was read from the sender's TAP");
        Assert.Equal(0, ChecksumErrors(hosts.Host(1)));
        AssertBalanced(hosts);
    }

    [SkippableFact]
    public void Udp_from_an_offload_tap_reaches_a_memory_port_as_checksum_correct_datagrams()
    {
        EndToEnd.RequirePrivileges();
        using var hosts = new SwitchedHosts(1);
        var memory = new MemoryPort("mem");
        hosts.Bridge.AddPort(memory);
        const string peerMac = "02:fb:00:00:00:09";
        hosts.Host(0).Exec($"ip neigh replace 198.18.0.9 lladdr {peerMac} dev {hosts.Taps[0]} nud permanent");

        // One plain datagram (checksum left to the device) and one 20,000-byte write with UDP_SEGMENT 1200 (USO).
        string script = "import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); " +
            "s.sendto(bytes(range(256))*3, ('198.18.0.9', 9999)); " +
            "s.setsockopt(17, 103, 1200); s.sendto(bytes(i % 251 for i in range(20000)), ('198.18.0.9', 9999))";
        hosts.Host(0).Exec($"python3 -c \"{script}\"");

        var datagrams = new List<byte[]>();
        var buffer = new byte[PacketPool.LargeBufferSize];
        EndToEnd.WaitFor(
            () =>
            {
                while (memory.TryTake(buffer, out int length))
                {
                    byte[] frame = buffer[..length];
                    if (FrameBuilder.EtherType(frame) == 0x0800 && frame[23] == 17)
                    {
                        datagrams.Add(frame);
                    }
                }

                return datagrams.Count >= 1 + 17;
            },
            TimeSpan.FromSeconds(10));

        Assert.Equal(1 + 17, datagrams.Count); // 20,000 / 1,200 = 16 full + 1
        Assert.Equal(1, hosts.Ports[0].RxSuperFrames); // the 20,000 bytes crossed the TAP as one USO super-frame
        foreach (byte[] d in datagrams)
        {
            Assert.True(FrameBuilder.ChecksumsVerify(d, 14, 34, v6: false, udp: true), "a datagram's checksums do not verify");
            Assert.True(d.Length <= 1514);
        }

        Assert.Equal(768, datagrams[0].Length - 42);
        var payload = datagrams.Skip(1).SelectMany(d => d[42..]).ToArray();
        Assert.Equal(Enumerable.Range(0, 20000).Select(i => (byte)(i % 251)).ToArray(), payload);
    }

    private static void RequireIperf3()
    {
        bool found = File.Exists("/usr/bin/iperf3") || File.Exists("/usr/local/bin/iperf3");
        if (!found && EndToEnd.Required)
        {
            Assert.Fail("FASTBRIDGE_REQUIRE_E2E=1 but iperf3 is not installed");
        }

        Skip.If(!found, "iperf3 is not installed");
    }

    /// <summary>A 2-second iperf3 TCP run; returns the bytes the receiver got.</summary>
    private static long Iperf3(SwitchedHosts hosts, int client, int server, bool reverse = false)
    {
        hosts.Host(server).Exec($"iperf3 -s -1 -D -B {SwitchedHosts.Address(server)}");
        Thread.Sleep(300);
        string json = hosts.Host(client).Exec($"iperf3 -c {SwitchedHosts.Address(server)} -t 2 -J{(reverse ? " -R" : "")}", 60_000);
        using var doc = JsonDocument.Parse(json);
        JsonElement sum = doc.RootElement.GetProperty("end").GetProperty("sum_received");
        Console.WriteLine($"iperf3 h{client + 1} -> h{server + 1}{(reverse ? " (reverse)" : "")}: {sum.GetProperty("bits_per_second").GetDouble() / 1e9:F2} Gbit/s");
        return sum.GetProperty("bytes").GetInt64();
    }

    /// <summary>TCP and UDP InCsumErrors of a namespace's stack (/proc/net/snmp).</summary>
    private static long ChecksumErrors(FastBridge.Cli.Demo.NetworkNamespace ns)
    {
        string[] lines = ns.Exec("cat /proc/net/snmp").Split('\n');
        long errors = 0;
        for (int i = 0; i + 1 < lines.Length; i++)
        {
            if (lines[i].StartsWith("Tcp:", StringComparison.Ordinal) || lines[i].StartsWith("Udp:", StringComparison.Ordinal))
            {
                string[] names = lines[i].Split(' ');
                string[] values = lines[i + 1].Split(' ');
                if (values[0] == names[0])
                {
                    int at = Array.IndexOf(names, "InCsumErrors");
                    errors += at > 0 ? long.Parse(values[at], System.Globalization.CultureInfo.InvariantCulture) : 0;
                    i++;
                }
            }
        }

        return errors;
    }

    private static void AssertBalanced(SwitchedHosts hosts)
    {
        Assert.True(EndToEnd.WaitFor(
            () => hosts.Bridge.ReadCounters().Ports.All(p => p.TxOffered == p.TxFrames + p.EgressDrops && p.RxFrames == p.Forwarded + p.IngressDrops),
            TimeSpan.FromSeconds(5)));
    }
}
