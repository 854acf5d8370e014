using FastBridge.Diagnostics;
using FastBridge.Ports;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Ports.QemuDgram;

/// <summary>
/// The peer goes away (its socket closed, its file gone or left behind as QEMU leaves it) and comes back: the port goes
/// down with the reason at the next frame towards it, forgets the peer's stations, and is up again when the peer (the
/// same path, or a new one once the old is found gone) sends again.
/// </summary>
public sealed class DgramPortFaultTests
{
    private static readonly TimeSpan s_wait = DgramRig.Timeout;

    [Theory]
    [InlineData(true, "its socket file does not exist")]
    [InlineData(false, "connection refused")]
    public void A_peer_that_goes_away_takes_the_port_down_and_gets_it_back_when_it_sends_again(bool fileRemoved, string reason)
    {
        using var rig = new DgramRig();
        DgramPeer first = rig.Join(station: 10);
        string path = first.OwnPath!;
        if (fileRemoved)
        {
            first.Dispose();
        }
        else
        {
            first.CloseKeepingFile();
        }

        rig.Harness.Inject(0, DgramRig.Frame(to: 10, from: 20)); // to the peer that left: the send says it is gone
        Assert.True(EndToEnd.WaitFor(() => rig.Port.State == PortState.LinkDown, s_wait), "the port stayed up after its peer left");
        Assert.Contains(reason, rig.Port.StateReason);
        Assert.Null(rig.Port.Peer); // a learned peer is forgotten
        Assert.True(EndToEnd.WaitFor(() => rig.Bridge.MacTable.CountOnPort(rig.Port.Id) == 0, s_wait), "stations of the old peer not forgotten");
        Assert.Equal(1, rig.Counters("d0").Dropped(DropReason.PortDown));

        rig.Harness.Inject(0, DgramRig.Broadcast(from: 20)); // while down: counted port-down
        Assert.True(EndToEnd.WaitFor(() => rig.Counters("d0").Dropped(DropReason.PortDown) == 2, s_wait));

        using DgramPeer again = rig.Join(station: 11, ownPath: path); // QEMU restarted: the same local.path
        Assert.Equal(path, rig.Port.Peer);
        byte[] reply = DgramRig.Frame(to: 11, from: 20);
        rig.Harness.Inject(0, reply);
        Assert.Equal(reply, again.Receive(s_wait));
        Assert.Equal(PortState.Up, rig.Port.State);
        Assert.Equal(3, rig.Counters("d0")[Counter.DgramPeerChanges]); // came, went, came
        rig.AssertAccounted(dgramRx: 2);
    }

    [Fact]
    public void A_learned_peer_that_left_silently_gives_way_to_the_next_sender()
    {
        using var rig = new DgramRig();
        DgramPeer first = rig.Join(station: 10);
        first.CloseKeepingFile(); // nothing is sent to it: only the new sender's datagram reveals it is gone
        try
        {
            using DgramPeer second = rig.Join(station: 11);
            Assert.Equal(second.OwnPath, rig.Port.Peer);
            byte[] reply = DgramRig.Frame(to: 11, from: 20);
            rig.Harness.Inject(0, reply);
            Assert.Equal(reply, second.Receive(s_wait));
            rig.AssertAccounted(dgramRx: 2);
            Assert.Equal(0, rig.Counters("d0").Dropped(DropReason.DgramForeignSender));
        }
        finally
        {
            File.Delete(first.OwnPath!);
        }
    }

    [Fact]
    public void While_the_learned_peer_is_there_a_second_sender_is_a_foreign_sender_and_never_the_peer()
    {
        using var rig = new DgramRig();
        using DgramPeer first = rig.Join(station: 10);
        using var second = new DgramPeer(rig.Path);
        for (int i = 0; i < 5; i++)
        {
            second.Send(DgramRig.Broadcast(from: 11));
        }

        Assert.True(EndToEnd.WaitFor(() => rig.Counters("d0").Dropped(DropReason.DgramForeignSender) == 5, s_wait));
        Assert.Equal(first.OwnPath, rig.Port.Peer);
        byte[] reply = DgramRig.Frame(to: 10, from: 20);
        rig.Harness.Inject(0, reply);
        Assert.Equal(reply, first.Receive(s_wait));
        Assert.Null(second.Receive(TimeSpan.FromMilliseconds(100)));
        rig.AssertAccounted(dgramRx: 6);
    }
}
