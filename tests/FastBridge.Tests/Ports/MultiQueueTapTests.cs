using FastBridge.Buffers;
using FastBridge.Diagnostics;
using FastBridge.Frames;
using FastBridge.Interop;
using FastBridge.Ports;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Ports;

/// <summary>
/// A multi-queue TapPort in a two-worker bridge, its queues datagram socketpairs standing in for a TAP's queue fds (one
/// frame per read and per write, as a TAP queue gives), so queue ownership, per-worker transmit queues, the per-queue
/// figures and the closing of every queue are checked without privileges. The kernel's side is in
/// FunctionalTests/Ports/MultiQueueTapTests.cs.
/// </summary>
public sealed unsafe class MultiQueueTapTests : IDisposable
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);
    private static readonly MacAddress s_behindTap = Stations.Address(1);
    private const int ConnectionRefused = 111; // ECONNREFUSED: a datagram socket's peer is closed

    private readonly List<int> _peers = [];

    public void Dispose()
    {
        foreach (int peer in _peers)
        {
            Libc.Close(peer);
        }
    }

    [Fact]
    public void Each_queue_is_received_and_every_frame_is_forwarded_or_counted()
    {
        using var bridge = new Bridge(new BridgeOptions { Workers = 2 });
        TapPort tap = WrapQueues(2);
        bridge.AddPort(tap);
        var sink = new MemoryPort("sink", discardTransmitted: true);
        bridge.AddPort(sink);
        Assert.True(bridge.MacTable.AddStatic(Stations.Address(9), 0, sink.Id));
        bridge.Start();

        const int PerQueue = 200;
        for (int i = 0; i < PerQueue; i++)
        {
            for (int q = 0; q < 2; q++)
            {
                Write(_peers[q], FrameBuilder.Untagged(Stations.Address(9), Stations.Address(20 + q)));
            }
        }

        Assert.True(EndToEnd.WaitFor(() => sink.Taken == 2 * PerQueue, s_timeout), $"the sink got {sink.Taken} of {2 * PerQueue}");
        Assert.Equal([PerQueue, PerQueue], tap.QueueReceived);
        PortCounters counters = bridge.ReadCounters()[tap.Name]!;
        Assert.Equal(2 * PerQueue, counters.RxFrames);
        Assert.Equal(counters.RxFrames, counters.Forwarded + counters.IngressDrops);
        Assert.Equal(0, counters.IngressDrops);
    }

    [Fact]
    public void Each_worker_transmits_through_a_queue_of_its_own()
    {
        using var bridge = new Bridge(new BridgeOptions { Workers = 2 });
        TapPort tap = WrapQueues(2);
        bridge.AddPort(tap); // one queue on each worker
        var first = new MemoryPort("m0");
        var second = new MemoryPort("m1");
        bridge.AddPort(first); // the least-loaded workers: one each
        bridge.AddPort(second);
        Assert.True(bridge.MacTable.AddStatic(s_behindTap, 0, tap.Id));
        bridge.Start();

        const int Rounds = 20, PerRound = 4; // a datagram socketpair queues only 10 frames (net.unix.max_dgram_qlen): read as we go
        var sources = new HashSet<MacAddress>[2];
        int received = 0;
        for (int round = 1; round <= Rounds; round++)
        {
            for (int i = 0; i < PerRound; i++)
            {
                Assert.True(first.TryInject(FrameBuilder.Untagged(s_behindTap, Stations.Address(10))));
                Assert.True(second.TryInject(FrameBuilder.Untagged(s_behindTap, Stations.Address(11))));
            }

            int expected = 2 * PerRound * round;
            Assert.True(EndToEnd.WaitFor(() => (received += ReadAll(sources)) == expected, s_timeout), $"the queues' peers got {received} of {expected}");
        }

        const int Frames = Rounds * PerRound;
        Assert.Single(sources[0]); // each queue carried the frames of one worker only: one source port's
        Assert.Single(sources[1]);
        Assert.NotEqual(sources[0].Single(), sources[1].Single());
        Assert.Equal([Frames, Frames], tap.QueueTransmitted);
        PortCounters counters = bridge.ReadCounters()[tap.Name]!;
        Assert.Equal(2 * Frames, counters.TxFrames);
        Assert.Equal(counters.TxOffered, counters.TxFrames + counters.EgressDrops);
    }

    [Fact]
    public void More_queues_than_workers_are_all_received()
    {
        using var bridge = new Bridge(new BridgeOptions { Workers = 2 });
        TapPort tap = WrapQueues(4);
        bridge.AddPort(tap);
        var sink = new MemoryPort("sink", discardTransmitted: true);
        bridge.AddPort(sink);
        Assert.True(bridge.MacTable.AddStatic(Stations.Address(9), 0, sink.Id));
        bridge.Start();

        for (int q = 0; q < 4; q++)
        {
            Write(_peers[q], FrameBuilder.Untagged(Stations.Address(9), Stations.Address(30 + q)));
        }

        Assert.True(EndToEnd.WaitFor(() => sink.Taken == 4, s_timeout), $"the sink got {sink.Taken} of 4");
        Assert.Equal([1, 1, 1, 1], tap.QueueReceived);
    }

    [Fact]
    public void Removing_the_port_closes_every_queue()
    {
        using var bridge = new Bridge(new BridgeOptions { Workers = 2 });
        TapPort tap = WrapQueues(2);
        bridge.AddPort(tap);
        bridge.Start();

        Assert.True(bridge.RemovePort(tap.Name));

        byte[] frame = FrameBuilder.Untagged(Stations.Address(9), Stations.Address(1));
        foreach (int peer in _peers)
        {
            fixed (byte* bytes = frame)
            {
                Assert.True(Syscall.Write(peer, bytes, frame.Length, out int errno) < 0, "a queue's fd is still open");
                Assert.Equal(ConnectionRefused, errno); // the port's end of every queue is closed
            }
        }

        Assert.Equal(PortState.Gone, tap.State);
    }

    [Fact]
    public void A_port_that_leaves_with_queues_leaves_the_workers_to_the_next_ports()
    {
        using var bridge = new Bridge(new BridgeOptions { Workers = 2 });
        bridge.AddPort(WrapQueues(2));
        bridge.Start();
        Assert.True(bridge.RemovePort("mq"));
        var a = new MemoryPort("a");
        var b = new MemoryPort("b");
        bridge.AddPort(a);
        bridge.AddPort(b);
        Assert.True(bridge.MacTable.AddStatic(Stations.Address(2), 0, b.Id));

        Assert.True(a.TryInject(FrameBuilder.Untagged(Stations.Address(2), Stations.Address(1))));

        Assert.True(EndToEnd.WaitFor(() => b.Taken + b.Pending == 1, s_timeout));
    }

    [Fact]
    public void Options_with_queues_ask_the_kernel_for_a_multi_queue_device()
    {
        Assert.Equal(0, TapPortOptions.Default.TunFlags & Tun.IFF_MULTI_QUEUE);
        Assert.NotEqual(0, new TapPortOptions { Queues = 2 }.TunFlags & Tun.IFF_MULTI_QUEUE);
        Assert.Equal(1, TapPortOptions.Default.Queues);
    }

    [Fact]
    public void Attaching_to_a_single_queue_device_with_queues_says_how_to_make_a_multi_queue_one()
    {
        string message = TapPort.QueueOpenErrorMessage("tap7", 0, 2, Errno.EINVAL, deviceExisted: true);

        Assert.Contains("not a multi-queue TAP", message, StringComparison.Ordinal);
        Assert.Contains("ip tuntap add dev tap7 mode tap multi_queue", message, StringComparison.Ordinal);
        Assert.Contains("queue 2 of 2", TapPort.QueueOpenErrorMessage("tap7", 1, 2, Errno.EBUSY, deviceExisted: true), StringComparison.Ordinal);
    }

    [Fact]
    public void A_single_queue_port_reports_no_queues()
    {
        TapPort single = WrapQueues(1);
        using (single)
        {
            var description = new PortDescription();
            single.Describe(description);
            Assert.Null(description.Queues);
            Assert.Equal(1, ((Port)single).QueueCount);
        }
    }

    /// <summary>A port named "mq" over <paramref name="queues"/> socketpairs; the peers' ends are kept in <see cref="_peers"/>.</summary>
    private TapPort WrapQueues(int queues)
    {
        Span<int> ends = stackalloc int[queues];
        int* pair = stackalloc int[2];
        for (int q = 0; q < queues; q++)
        {
            Assert.Equal(0, Libc.SocketPair(Libc.AF_UNIX, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0, pair));
            ends[q] = pair[0];
            _peers.Add(pair[1]);
            Assert.Equal(0, Syscall.SetNonBlocking(pair[1], out _));
        }

        return queues == 1 ? TapPort.WrapUnchecked(ends[0], "mq", ownsFd: true) : TapPort.WrapQueuesUnchecked(ends, "mq");
    }

    /// <summary>Writes one frame into a queue, waiting while its 10-frame socket queue is full.</summary>
    private static void Write(int fd, byte[] frame)
    {
        fixed (byte* bytes = frame)
        {
            byte* p = bytes;
            int length = frame.Length;
            Assert.True(EndToEnd.WaitFor(() => Syscall.Write(fd, p, length, out _) == length, s_timeout), "a queue's peer could not write");
        }
    }

    /// <summary>Reads what each queue's peer has; records each frame's source per queue; returns frames read.</summary>
    private int ReadAll(HashSet<MacAddress>[] sources)
    {
        int read = 0;
        byte* buffer = stackalloc byte[2048];
        for (int q = 0; q < sources.Length; q++)
        {
            sources[q] ??= [];
            nint length;
            while ((length = Syscall.Read(_peers[q], buffer, 2048, out _)) > 0)
            {
                sources[q].Add(MacAddress.FromBytes(new ReadOnlySpan<byte>(buffer + 6, 6)));
                read++;
            }
        }

        return read;
    }
}
