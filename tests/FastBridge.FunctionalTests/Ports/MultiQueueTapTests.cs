using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using FastBridge.Frames;
using FastBridge.Ports;
using FastBridge.Tests.Infrastructure;
using FastBridge.Tests.Vxlan;

namespace FastBridge.Tests.Ports;

/// <summary>
/// Multi-queue TAPs (IFF_MULTI_QUEUE) against the kernel, with two workers: every queue an fd of its own, flows kept in
/// order, every frame delivered or counted, every queue served, and each queue's fd closed when the port goes.
/// </summary>
[Collection(nameof(Hosts.EndToEndCollection))]
public sealed class MultiQueueTapTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    [SkippableFact]
    public void Open_with_two_queues_attaches_two_fds_and_the_device_goes_away_on_dispose()
    {
        EndToEnd.RequirePrivileges();
        string name = TapRig.UniqueName();
        using (TapPort port = TapPort.Open(name, new TapPortOptions { Queues = 2, BringUp = false }))
        {
            Assert.True(port.CreatedDevice);
            Assert.Equal(2, ((Port)port).QueueCount);
            Assert.Equal(2, QueueFds(name));
            Assert.NotEqual(0, TunFlags(name) & 0x100); // IFF_MULTI_QUEUE
        }

        Assert.Equal(0, QueueFds(name));
        Assert.False(Directory.Exists($"/sys/class/net/{name}"), "the device outlived its queues");
    }

    [SkippableFact]
    public void Attaching_to_a_persistent_multi_queue_tap_leaves_it_as_found()
    {
        EndToEnd.RequirePrivileges();
        string name = TapRig.UniqueName();
        FastBridge.Cli.Demo.NetworkNamespace.Run("ip", $"tuntap add dev {name} mode tap multi_queue");
        try
        {
            using (TapPort port = TapPort.Open(name, new TapPortOptions { Queues = 2 }))
            {
                Assert.False(port.CreatedDevice);
                Assert.Equal(2, QueueFds(name));
                Assert.Equal(1, IfFlagsValue(name) & 1); // brought up
            }

            Assert.Equal(0, QueueFds(name));
            Assert.True(Directory.Exists($"/sys/class/net/{name}"), "a persistent device went away");
            Assert.Equal(0, IfFlagsValue(name) & 1); // down again, as it was found
        }
        finally
        {
            FastBridge.Cli.Demo.NetworkNamespace.TryRun("ip", $"tuntap del dev {name} mode tap multi_queue");
        }
    }

    [SkippableFact]
    public void Attaching_with_queues_to_a_single_queue_tap_says_how_to_make_a_multi_queue_one()
    {
        EndToEnd.RequirePrivileges();
        string name = TapRig.UniqueName();
        FastBridge.Cli.Demo.NetworkNamespace.Run("ip", $"tuntap add dev {name} mode tap");
        try
        {
            var e = Assert.Throws<TapException>(() => TapPort.Open(name, new TapPortOptions { Queues = 2 }));
            Assert.Contains("multi_queue", e.Message, StringComparison.Ordinal);
            Assert.Equal(0, QueueFds(name));
        }
        finally
        {
            FastBridge.Cli.Demo.NetworkNamespace.TryRun("ip", $"tuntap del dev {name} mode tap");
        }
    }

    /// <summary>
    /// 16 UDP flows, sequence-numbered, from host 0 through two-queue TAPs to host 1, at most 64 frames in flight (a bounded
    /// load: under the TAP's 1000-frame queue and the receiving socket's buffer). The kernel spreads the flows over host
    /// 0's queues by flow hash (all 16 on one queue: 2 in 65536). <paramref name="adopted"/>: the test opens each TAP's
    /// two queue fds itself, as libvirt does, and hands them over (<see cref="TapPort.AdoptQueues"/>).
    /// </summary>
    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void Flows_through_multi_queue_taps_keep_their_order_lose_nothing_and_use_every_queue(bool adopted)
    {
        EndToEnd.RequirePrivileges();
        using var hosts = new SwitchedHosts(2, tapOptions: _ => new TapPortOptions { Queues = 2 },
            openPort: adopted ? (_, name) => TapPort.AdoptQueues(TapFds.OpenQueues(name, 2), ownsFds: true) : null);
        TapPort from = hosts.Ports[0], to = hosts.Ports[1];
        MacAddress sink = Stations.Address(99); // behind host 1's TAP, not host 1 itself: its stack ignores the frames
        Assert.True(hosts.Bridge.MacTable.AddStatic(sink, 0, to.Id));
        using RawSocket send = InNamespace.Run(hosts.Host(0).Name, () => RawSocket.Open(hosts.Taps[0]));
        using RawCapture capture = InNamespace.Run(hosts.Host(1).Name, () => RawCapture.Open(hosts.Taps[1]));
        long kernelDroppedBefore = hosts.Counter(0, "tx_dropped");

        const int Flows = 16, PerFlow = 1000, Window = 64;
        var flows = new FlowCheck(Flows, sink);
        byte[] frame = new byte[64];
        MacAddress source = hosts.Mac(0);
        var clock = Stopwatch.StartNew();
        int sent = 0;
        bool stalled = false;
        for (int seq = 0; seq < PerFlow && !stalled; seq++)
        {
            for (int flow = 0; flow < Flows && !stalled; flow++)
            {
                WriteUdp(frame, sink, source, flow, seq);
                send.Send(frame);
                sent++;
                while (sent - flows.Received >= Window && !stalled)
                {
                    stalled = !flows.ReceiveOne(capture, TimeSpan.FromSeconds(2)) || clock.Elapsed > TimeSpan.FromSeconds(60);
                }
            }
        }

        while (flows.Received < sent && flows.ReceiveOne(capture, TimeSpan.FromSeconds(2)))
        {
        }

        // Every frame has arrived, but a worker may still be publishing the burst's counters: wait (bounded) for a
        // snapshot in which each port's frames add up; the assertions below then check that snapshot.
        BridgeCounters counters = hosts.Bridge.ReadCounters();
        EndToEnd.WaitFor(() =>
        {
            counters = hosts.Bridge.ReadCounters();
            PortCounters r = counters[from.Name]!, t = counters[to.Name]!;
            return r.RxFrames == r.Forwarded + r.IngressDrops && t.TxOffered == t.TxFrames + t.EgressDrops;
        }, TimeSpan.FromSeconds(5));
        PortCounters rx = counters[from.Name]!, tx = counters[to.Name]!;
        string accounting = $"sent {sent}, received {flows.Received}; kernel tx_dropped at host 0's TAP +{hosts.Counter(0, "tx_dropped") - kernelDroppedBefore}; " +
            $"switch: {from.Name} rx {rx.RxFrames} forwarded {rx.Forwarded} drops {rx.IngressDrops}, {to.Name} offered {tx.TxOffered} sent {tx.TxFrames} drops {tx.EgressDrops}";
        Console.WriteLine($"multi-queue flows: {accounting}; {from.Name} read per queue {string.Join('/', from.QueueReceived)}, " +
            $"{to.Name} written per queue {string.Join('/', to.QueueTransmitted)}, {clock.ElapsedMilliseconds} ms");
        Assert.True(flows.Reordered == 0, $"{flows.Reordered} frames came before an earlier one of their flow, first: {flows.FirstReorder}; {accounting}");
        Assert.True(sent == Flows * PerFlow && flows.Received == sent, accounting);
        Assert.Equal(rx.RxFrames, rx.Forwarded + rx.IngressDrops);
        Assert.Equal(tx.TxOffered, tx.TxFrames + tx.EgressDrops);
        Assert.All(from.QueueReceived, n => Assert.True(n > 0, $"a queue of {from.Name} was never read: {string.Join('/', from.QueueReceived)}"));
        Assert.All(to.QueueTransmitted, n => Assert.True(n > 0, $"a queue of {to.Name} was never written: {string.Join('/', to.QueueTransmitted)}"));
    }

    [SkippableFact]
    public void A_multi_queue_tap_that_vanishes_goes_gone_closes_its_queues_and_the_others_keep_switching()
    {
        EndToEnd.RequirePrivileges();
        using var hosts = new SwitchedHosts(3, tapOptions: i => new TapPortOptions { Queues = i == 2 ? 2 : 1 });
        Assert.True(hosts.Ping(2, 0), "no ping through the multi-queue TAP");

        hosts.Host(2).Exec($"ip link del dev {hosts.Taps[2]}");

        Assert.True(EndToEnd.WaitFor(() => hosts.Ports[2].State == PortState.Gone, s_timeout), $"the port is {hosts.Ports[2].State}");
        Assert.True(hosts.Ping(0, 1) && hosts.Ping(1, 0), "the other hosts stopped reaching each other");
        Assert.True(hosts.Bridge.RemovePort(hosts.Taps[2]));
        Assert.Equal(0, QueueFds(hosts.Taps[2]));
    }

    [SkippableFact]
    public void Run_with_tap_queues_switches_through_them_and_closes_them_at_port_del_and_stop()
    {
        EndToEnd.RequirePrivileges();
        using var running = new RunningSwitch(2, "--tap-queues 2");
        Assert.True(running.Ping(0, 1), running.Process.Stderr);
        Assert.Contains("2 queues", running.Process.Stderr, StringComparison.Ordinal);
        CliProcess list = running.Cli("port list");
        Assert.Contains("(2 queues)", list.Stdout, StringComparison.Ordinal);

        string extra = TapRig.UniqueName();
        CliProcess add = running.Cli($"port add {extra} --queues 2");
        Assert.True(add.ExitCode == 0, add.Stderr);
        Assert.Contains("2 queues", add.Stdout, StringComparison.Ordinal);
        Assert.NotEqual(0, TunFlags(extra) & 0x100);
        CliProcess del = running.Cli($"port del {extra}");
        Assert.True(del.ExitCode == 0, del.Stderr);
        Assert.False(Directory.Exists($"/sys/class/net/{extra}"), "port del left the device it created");

        running.Process.Signal("TERM");
        Assert.True(running.Process.WaitForExit(RunningSwitch.Timeout));
        for (int i = 0; i < 2; i++)
        {
            Assert.NotEqual(0, running.Host(i).TryExec($"ip link show dev {running.Taps[i]}").ExitCode);
        }
    }

    /// <summary>Descriptors of this process attached to TAP <paramref name="name"/> (tun's fdinfo names it: "iff:\tNAME").</summary>
    private static int QueueFds(string name)
    {
        int count = 0;
        foreach (string info in Directory.GetFiles("/proc/self/fdinfo"))
        {
            try
            {
                if (File.ReadAllText(info).Contains($"iff:\t{name}\n", StringComparison.Ordinal))
                {
                    count++;
                }
            }
            catch (IOException)
            {
                // a descriptor closed while we looked
            }
        }

        return count;
    }

    private static int TunFlags(string name) =>
        int.Parse(File.ReadAllText($"/sys/class/net/{name}/tun_flags").Trim()[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    private static int IfFlagsValue(string name) =>
        int.Parse(File.ReadAllText($"/sys/class/net/{name}/flags").Trim()[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    /// <summary>An IPv4/UDP frame of flow <paramref name="flow"/> (its source port) carrying <paramref name="seq"/>.</summary>
    private static void WriteUdp(byte[] frame, MacAddress destination, MacAddress source, int flow, int seq)
    {
        Array.Clear(frame);
        destination.WriteTo(frame);
        source.WriteTo(frame.AsSpan(6));
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x0800);
        Span<byte> ip = frame.AsSpan(14);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(frame.Length - 14));
        ip[8] = 64;
        ip[9] = 17; // UDP
        ip[12] = 198;
        ip[13] = 18;
        ip[14] = 0;
        ip[15] = 1;
        ip[16] = 198;
        ip[17] = 18;
        ip[18] = 0;
        ip[19] = 200;
        Span<byte> udp = ip[20..];
        BinaryPrimitives.WriteUInt16BigEndian(udp, (ushort)(10_000 + flow));
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], 9);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)(frame.Length - 34));
        BinaryPrimitives.WriteUInt16BigEndian(udp[8..], (ushort)flow);
        BinaryPrimitives.WriteInt32BigEndian(udp[10..], seq);
    }

    /// <summary>What the receiving side saw of the flows: frames counted, and any frame that came before an earlier one of its flow.</summary>
    private sealed class FlowCheck(int flows, MacAddress sink)
    {
        private readonly int[] _last = Enumerable.Repeat(-1, flows).ToArray();
        private readonly byte[] _buffer = new byte[2048];
        private readonly byte[] _sink = Sink(sink);

        public int Received { get; private set; }

        private static byte[] Sink(MacAddress mac)
        {
            byte[] bytes = new byte[6];
            mac.WriteTo(bytes);
            return bytes;
        }

        public int Reordered { get; private set; }

        public string? FirstReorder { get; private set; }

        /// <summary>Takes one frame of the test's flows; false when none came within <paramref name="timeout"/>.</summary>
        public bool ReceiveOne(RawCapture capture, TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (DateTime.UtcNow < deadline)
            {
                int length = capture.ReceiveInto(_buffer, TimeSpan.FromMilliseconds(200));
                if (length < 46 || !_buffer.AsSpan(0, 6).SequenceEqual(_sink))
                {
                    continue; // nothing yet, or a frame of something else
                }

                int flow = BinaryPrimitives.ReadUInt16BigEndian(_buffer.AsSpan(42));
                int seq = BinaryPrimitives.ReadInt32BigEndian(_buffer.AsSpan(44));
                if (seq <= _last[flow])
                {
                    Reordered++;
                    FirstReorder ??= $"flow {flow}: {seq} after {_last[flow]}";
                }

                _last[flow] = Math.Max(_last[flow], seq);
                Received++;
                return true;
            }

            return false;
        }
    }
}
