using FastBridge.Diagnostics;
using FastBridge.Ports;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Ports.QemuDgram;

/// <summary>
/// What a hostile or broken peer can put on the socket — datagrams of any size from 0 to past 65,535, empty ones,
/// ones from an unnamed socket or from a second sender — is each counted under one named reason; p0 and p1 keep
/// switching and the peer's good frames keep coming through.
/// </summary>
public sealed class DgramPortHostilePeerTests
{
    private static readonly TimeSpan s_wait = DgramRig.Timeout;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Datagrams_of_random_sizes_end_as_frames_or_counted_drops(int seed)
    {
        using var rig = new DgramRig();
        using DgramPeer peer = rig.Join(station: 10);
        var random = new Random(seed);
        int frames = 0, oversize = 0, empty = 0, runts = 0;
        for (int i = 0; i < 300; i++)
        {
            int size = random.Next(8) switch
            {
                0 => 0,
                1 => random.Next(1, 14),
                2 => random.Next(65536, 70001),
                3 => random.Next(2049, 65536),
                _ => random.Next(14, 2049),
            };
            byte[] datagram = new byte[size];
            random.NextBytes(datagram);
            if (size >= 14)
            {
                DgramRig.Broadcast(from: 10, length: 14).CopyTo(datagram, 0); // a real header: flooded to p0 and p1
            }

            peer.Send(datagram);
            _ = size == 0 ? empty++ : size < 14 ? runts++ : size > 65535 ? oversize++ : frames++;
        }

        peer.Send(DgramRig.Broadcast(from: 10)); // the last one: a good frame still comes through
        frames++;
        long joined = rig.JoinFrames;
        Assert.True(EndToEnd.WaitFor(() => rig.Counters("d0").RxFrames - joined == 301, s_wait), $"d0 received {rig.Counters("d0").RxFrames - joined} of 301");
        rig.AssertAccounted(dgramRx: 301);
        PortCounters d0 = rig.Counters("d0");
        Assert.Equal(oversize, d0.Dropped(DropReason.DgramOversize));
        Assert.Equal(empty, d0.Dropped(DropReason.DgramEmpty));
        Assert.Equal(runts, d0.Dropped(DropReason.Runt));
        Assert.Equal(frames + joined, d0.Forwarded);
        Assert.Equal(PortState.Up, rig.Port.State);
        OthersKeepSwitching(rig);
    }

    [Fact]
    public void An_unnamed_sender_cannot_be_answered_and_is_never_the_peer()
    {
        using var rig = new DgramRig();
        using var unnamed = new DgramPeer(rig.Path, named: false);
        unnamed.Send(DgramRig.Broadcast(from: 12));
        Assert.True(EndToEnd.WaitFor(() => rig.Counters("d0").Dropped(DropReason.DgramForeignSender) == 1, s_wait));
        Assert.Equal(PortState.LinkDown, rig.Port.State);
        Assert.Null(rig.Port.Peer);
        using DgramPeer peer = rig.Join(station: 10);
        unnamed.Send(DgramRig.Broadcast(from: 12));
        Assert.True(EndToEnd.WaitFor(() => rig.Counters("d0").Dropped(DropReason.DgramForeignSender) == 2, s_wait));
        rig.AssertAccounted(dgramRx: 3);
        OthersKeepSwitching(rig);
    }

    [Fact]
    public void Empty_and_oversize_datagrams_do_not_make_their_sender_the_peer()
    {
        using var rig = new DgramRig();
        using var peer = new DgramPeer(rig.Path);
        peer.Send([]);
        peer.Send(new byte[65536]);
        Assert.True(EndToEnd.WaitFor(() => rig.Counters("d0").RxFrames == 2, s_wait));
        Assert.Equal(1, rig.Counters("d0").Dropped(DropReason.DgramEmpty));
        Assert.Equal(1, rig.Counters("d0").Dropped(DropReason.DgramOversize));
        Assert.Null(rig.Port.Peer);
        Assert.Equal(PortState.LinkDown, rig.Port.State);
        rig.AssertAccounted(dgramRx: 2);
    }

    private static void OthersKeepSwitching(DgramRig rig)
    {
        rig.Harness.Drain(0);
        rig.Harness.Drain(1);
        rig.Harness.Inject(0, DgramRig.Broadcast(from: 30));
        rig.Harness.Inject(1, DgramRig.Frame(to: 30, from: 31, mark: 9));
        Assert.True(EndToEnd.WaitFor(() => rig.Harness.Ports[0].Pending >= 1, s_wait), "p1 -> p0 did not switch");
        Assert.Equal(DgramRig.Frame(to: 30, from: 31, mark: 9), rig.Harness.Drain(0).Last());
    }
}
