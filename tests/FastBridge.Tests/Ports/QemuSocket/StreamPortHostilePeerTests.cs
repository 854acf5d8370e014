using System.Buffers.Binary;
using FastBridge.Diagnostics;
using FastBridge.Ports;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Ports.QemuSocket;

/// <summary>
/// Peers that break the framing — a length of 0 or over 65,535, a frame cut short by the end of the stream, random
/// bytes — are disconnected with one bad-framing drop and a logged reason, while p0 and p1 keep switching and the next
/// well-behaved peer gets the port back.
/// </summary>
public sealed class StreamPortHostilePeerTests
{
    private static readonly TimeSpan s_wait = StreamRig.Timeout;

    public static TheoryData<string, byte[], string> BadStreams() => new()
    {
        { "length 0", [0, 0, 0, 0], "bad frame length 0" },
        { "length 65536", [0, 1, 0, 0, .. new byte[100]], "bad frame length 65536" },
        { "length 2^32-1", [0xff, 0xff, 0xff, 0xff], "bad frame length" },
        { "a good frame, then length 0", [.. StreamPeer.Framed(StreamRig.Broadcast(from: 10)), 0, 0, 0, 0], "bad frame length 0" },
    };

    [Theory]
    [MemberData(nameof(BadStreams))]
    public void A_bad_length_disconnects_the_peer_with_a_counted_drop_and_a_reason(string what, byte[] bytes, string reason)
    {
        using var rig = new StreamRig();
        using StreamPeer peer = rig.Connect();
        peer.SendRaw(bytes);
        Assert.True(peer.WaitClosed(s_wait), $"{what}: the peer was not disconnected");
        rig.WaitDown();
        Assert.Contains(reason, rig.Port.StateReason);
        Assert.True(EndToEnd.WaitFor(() => rig.Counters("s0").Dropped(DropReason.BadFraming) == 1, s_wait));
        Assert.True(EndToEnd.WaitFor(() => rig.Log.Lines.Any(l => l.Contains("disconnected") && l.Contains(reason)), s_wait), "the reason was not logged");
        OthersKeepSwitching(rig);
        NextPeerWorks(rig);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(50)]
    public void A_frame_cut_short_by_the_end_of_the_stream_is_a_bad_framing_drop(int sent)
    {
        using var rig = new StreamRig();
        using StreamPeer peer = rig.Connect();
        byte[] framed = StreamPeer.Framed(StreamRig.Broadcast(from: 10, length: 100));
        peer.SendRaw(framed.AsSpan(0, sent));
        peer.ShutdownSend();
        rig.WaitDown();
        Assert.Contains("stream ended inside a frame", rig.Port.StateReason);
        Assert.True(EndToEnd.WaitFor(() => rig.Counters("s0").Dropped(DropReason.BadFraming) == 1, s_wait));
        Assert.Equal(1, rig.Counters("s0").RxFrames); // the cut frame counts as received and dropped
        NextPeerWorks(rig);
    }

    [Fact]
    public void Random_lengths_and_random_bytes_from_many_peers_never_disturb_the_other_ports()
    {
        using var rig = new StreamRig();
        var random = new Random(1101);
        long badFraming = 0;
        for (int round = 0; round < 40; round++)
        {
            using StreamPeer peer = rig.Connect();
            var bytes = new List<byte>();
            int goodFrames = random.Next(0, 4);
            for (int i = 0; i < goodFrames; i++)
            {
                bytes.AddRange(StreamPeer.Framed(StreamRig.Frame(to: 1, from: 100 + round, length: random.Next(14, 1600))));
            }

            var garbage = new byte[random.Next(0, 200)];
            random.NextBytes(garbage);
            if (round % 2 == 0 && garbage.Length >= 4)
            {
                BinaryPrimitives.WriteUInt32BigEndian(garbage, (uint)random.Next(65536, int.MaxValue)); // a random bad length
            }

            bytes.AddRange(garbage);
            peer.SendRaw(bytes.ToArray());
            peer.ShutdownSend();
            Assert.True(peer.WaitClosed(s_wait), $"round {round}: the peer was never disconnected");
            rig.WaitDown();
            badFraming += rig.Port.StateReason == "peer closed the connection" ? 0 : 1;
            OthersKeepSwitching(rig);
        }

        Assert.True(EndToEnd.WaitFor(() => rig.Counters("s0").Dropped(DropReason.BadFraming) == badFraming, s_wait),
            $"bad-framing {rig.Counters("s0").Dropped(DropReason.BadFraming)}, disconnects for bad framing {badFraming}");
        Assert.True(badFraming >= 20, $"only {badFraming} of 40 peers broke the framing: the test lost its teeth");
        rig.AssertAccounted();
        NextPeerWorks(rig);
    }

    private static void OthersKeepSwitching(StreamRig rig)
    {
        var p0 = rig.Harness.Ports[0];
        var p1 = rig.Harness.Ports[1];
        while (p1.TakeArray() is not null)
        {
        }

        byte[] frame = StreamRig.Frame(to: 2, from: 1);
        rig.Harness.Inject(1, StreamRig.Broadcast(from: 2)); // station 2 sits behind p1
        Assert.True(EndToEnd.WaitFor(() => rig.Bridge.MacTable.CountOnPort(p1.Id) >= 1, s_wait));
        while (p1.TakeArray() is not null)
        {
        }

        rig.Harness.Inject(0, frame);
        Assert.True(EndToEnd.WaitFor(() => p1.Pending > 0, s_wait), "p0 -> p1 stopped while a hostile peer was on the stream port");
        Assert.Equal(frame, p1.TakeArray());
        while (p0.TakeArray() is not null)
        {
        }
    }

    private static void NextPeerWorks(StreamRig rig)
    {
        using StreamPeer peer = rig.Connect();
        peer.SendFrame(StreamRig.Broadcast(from: 30));
        Assert.True(EndToEnd.WaitFor(() => rig.Bridge.MacTable.Lookup(Stations.Mac(30), 0) == rig.Port.Id, s_wait));
        byte[] reply = StreamRig.Frame(to: 30, from: 1);
        rig.Harness.Inject(0, reply);
        Assert.Equal(reply, peer.ReceiveFrame(s_wait));
        Assert.Equal(PortState.Up, rig.Port.State);
    }
}
