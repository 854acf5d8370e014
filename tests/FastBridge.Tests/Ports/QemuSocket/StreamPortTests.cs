using FastBridge.Diagnostics;
using FastBridge.Ports;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Ports.QemuSocket;

/// <summary>
/// A stream port driven through its real unix socket by a peer that speaks QEMU's length framing, with memory ports p0
/// and p1 on the same bridge: frames both ways, framing in any pieces, one peer at a time, reconnects, exact accounting.
/// </summary>
public sealed class StreamPortTests
{
    private static readonly TimeSpan s_wait = StreamRig.Timeout;

    [Fact]
    public void Frames_cross_both_ways_between_the_socket_and_a_memory_port()
    {
        using var rig = new StreamRig();
        using StreamPeer peer = rig.Connect();

        byte[] hello = StreamRig.Broadcast(from: 10);
        peer.SendFrame(hello);
        Assert.True(EndToEnd.WaitFor(() => rig.Harness.Ports[0].Pending == 1 && rig.Harness.Ports[1].Pending == 1, s_wait));
        Assert.Equal(hello, rig.Harness.Ports[0].TakeArray());

        byte[] reply = StreamRig.Frame(to: 10, from: 20, length: 1514, mark: 7);
        rig.Harness.Inject(0, reply);
        Assert.Equal(reply, peer.ReceiveFrame(s_wait));

        rig.AssertAccounted(streamRx: 1);
        PortCounters s0 = rig.Counters("s0");
        Assert.Equal(1, s0.RxFrames);
        Assert.Equal(1, s0.TxFrames);
        Assert.Equal(1514, s0.TxBytes);
    }

    [Fact]
    public void Several_frames_in_one_write_and_frames_split_across_writes_all_arrive_in_order()
    {
        using var rig = new StreamRig();
        using StreamPeer peer = rig.Connect();
        var frames = Enumerable.Range(0, 40).Select(i => StreamRig.Frame(to: 1, from: 10, length: 60 + (i * 37), mark: (byte)i)).ToArray();

        peer.SendRaw(StreamPeer.Framed(frames[..10]));           // ten frames in one write
        byte[] split = StreamPeer.Framed(frames[10..20]);
        for (int at = 0; at < split.Length; at += 7)              // the next ten in 7-byte pieces (headers cut too)
        {
            peer.SendRaw(split.AsSpan(at, Math.Min(7, split.Length - at)));
        }

        byte[] rest = StreamPeer.Framed(frames[20..]);
        peer.SendRaw(rest.AsSpan(0, 3));                          // a header cut after 3 bytes
        peer.SendRaw(rest.AsSpan(3));

        Assert.True(EndToEnd.WaitFor(() => rig.Harness.Ports[0].Pending == frames.Length, s_wait), $"p0 has {rig.Harness.Ports[0].Pending} of {frames.Length}");
        foreach (byte[] frame in frames)
        {
            Assert.Equal(frame, rig.Harness.Ports[0].TakeArray());
        }

        rig.AssertAccounted(streamRx: frames.Length);
        Assert.Equal(0, rig.Counters("s0").IngressDrops);
    }

    [Fact]
    public void A_peer_that_leaves_takes_the_port_down_forgets_its_stations_and_the_next_peer_gets_the_port_back()
    {
        using var rig = new StreamRig();
        var first = rig.Connect();
        first.SendFrame(StreamRig.Broadcast(from: 10));
        Assert.True(EndToEnd.WaitFor(() => rig.Bridge.MacTable.CountOnPort(rig.Port.Id) == 1, s_wait));

        first.Dispose();
        rig.WaitDown();
        Assert.Equal("peer closed the connection", rig.Port.StateReason);
        Assert.True(EndToEnd.WaitFor(() => rig.Bridge.MacTable.CountOnPort(rig.Port.Id) == 0, s_wait), "stations of the old peer not forgotten");

        rig.Harness.Inject(0, StreamRig.Frame(to: 10, from: 20)); // while down: flooded towards s0, counted port-down
        Assert.True(EndToEnd.WaitFor(() => rig.Counters("s0").Dropped(DropReason.PortDown) == 1, s_wait), "the flood towards the down port was not counted port-down");
        rig.AssertAccounted(streamRx: 1);

        using StreamPeer second = rig.Connect();
        second.SendFrame(StreamRig.Broadcast(from: 11));
        Assert.True(EndToEnd.WaitFor(() => rig.Bridge.MacTable.CountOnPort(rig.Port.Id) == 1, s_wait));
        byte[] reply = StreamRig.Frame(to: 11, from: 20);
        rig.Harness.Inject(0, reply);
        Assert.Equal(reply, second.ReceiveFrame(s_wait));
        Assert.Equal(2, rig.Port.Connections);
        rig.AssertAccounted(streamRx: 2);
    }

    [Fact]
    public void A_second_connection_while_one_is_active_is_closed_and_logged_and_the_first_keeps_working()
    {
        using var rig = new StreamRig();
        using StreamPeer first = rig.Connect();
        using (var intruder = StreamPeer.Connect(rig.Path))
        {
            Assert.True(intruder.WaitClosed(s_wait), "the second connection was not closed");
        }

        Assert.Equal(1, rig.Port.Refused);
        Assert.Contains(rig.Log.Lines, l => l.Contains("refused") && l.Contains("already connected"));
        first.SendFrame(StreamRig.Broadcast(from: 10));
        byte[] reply = StreamRig.Frame(to: 10, from: 20);
        Assert.True(EndToEnd.WaitFor(() => rig.Bridge.MacTable.CountOnPort(rig.Port.Id) == 1, s_wait));
        rig.Harness.Inject(0, reply);
        Assert.Equal(reply, first.ReceiveFrame(s_wait));
        Assert.Equal(PortState.Up, rig.Port.State);
    }

    [Fact]
    public void Frames_queued_faster_than_the_peer_reads_are_counted_as_ring_full_and_the_accounting_holds()
    {
        using var rig = new StreamRig(ringSize: 64);
        using StreamPeer peer = rig.Connect();
        peer.SendFrame(StreamRig.Broadcast(from: 10));
        Assert.True(EndToEnd.WaitFor(() => rig.Bridge.MacTable.CountOnPort(rig.Port.Id) == 1, s_wait));

        // The peer reads nothing: the socket buffer fills, the writer waits on it, the ring fills, the worker drops.
        byte[] big = StreamRig.Frame(to: 10, from: 20, length: 1500);
        long deadline = Environment.TickCount64 + 30_000;
        while (rig.Counters("s0").Dropped(DropReason.RingFull) == 0 && Environment.TickCount64 < deadline)
        {
            for (int i = 0; i < 256; i++)
            {
                rig.Harness.Ports[0].TryInject(big);
            }

            Assert.True(EndToEnd.WaitFor(() => rig.Counters("p0").RxFrames == rig.Harness.Ports[0].Injected, s_wait));
        }

        Assert.True(rig.Counters("s0").Dropped(DropReason.RingFull) > 0, "no ring-full drop while the peer read nothing");
        rig.AssertAccounted(streamRx: 1);
        Assert.Equal(PortState.Up, rig.Port.State);
    }
}
