using FastBridge.Diagnostics;
using FastBridge.Ports;
using FastBridge.Ports.QemuDgram;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Ports.QemuDgram;

/// <summary>
/// A dgram port driven through its real unix datagram socket by a peer that behaves as QEMU's <c>-netdev dgram</c>
/// (bound to a path of its own, one frame per datagram), with memory ports p0 and p1 on the same bridge: frames both
/// ways (long ones too), the peer learned from the first frame or fixed, the socket's mode, exact accounting.
/// </summary>
public sealed class DgramPortTests
{
    private static readonly TimeSpan s_wait = DgramRig.Timeout;

    [Fact]
    public void Frames_cross_both_ways_and_replies_go_to_the_sender_of_the_first_frame()
    {
        using var rig = new DgramRig();
        Assert.Equal(PortState.LinkDown, rig.Port.State);
        Assert.Null(rig.Port.Peer);
        using var peer = new DgramPeer(rig.Path);

        byte[] hello = DgramRig.Broadcast(from: 10);
        peer.Send(hello);
        Assert.True(EndToEnd.WaitFor(() => rig.Harness.Ports[0].Pending == 1 && rig.Harness.Ports[1].Pending == 1, s_wait));
        Assert.Equal(hello, rig.Harness.Ports[0].TakeArray());
        Assert.Equal(PortState.Up, rig.Port.State);
        Assert.Equal(peer.OwnPath, rig.Port.Peer);
        Assert.False(rig.Port.PeerIsFixed);

        byte[] reply = DgramRig.Frame(to: 10, from: 20, length: 1514, mark: 7);
        rig.Harness.Inject(0, reply);
        Assert.Equal(reply, peer.Receive(s_wait));

        rig.AssertAccounted(dgramRx: 1);
        PortCounters d0 = rig.Counters("d0");
        Assert.Equal(1, d0.RxFrames);
        Assert.Equal(1, d0.TxFrames);
        Assert.Equal(1514, d0.TxBytes);
        Assert.Equal(1, d0[Counter.DgramPeerChanges]);
    }

    [Theory]
    [InlineData(2048)]
    [InlineData(2049)]
    [InlineData(9018)]
    [InlineData(65535)]
    public void Long_frames_cross_whole_both_ways(int length)
    {
        using var rig = new DgramRig();
        using DgramPeer peer = rig.Join();
        byte[] up = DgramRig.Frame(to: 20, from: 10, length: length, mark: 3);
        rig.Harness.Inject(0, DgramRig.Broadcast(from: 20));
        Assert.NotNull(peer.Receive(s_wait));
        rig.Harness.Drain(0);
        rig.Harness.Drain(1);

        peer.Send(up);
        Assert.True(EndToEnd.WaitFor(() => rig.Harness.Ports[0].Pending == 1, s_wait), $"the {length}-byte frame did not reach p0");
        Assert.Equal(up, rig.Harness.Ports[0].TakeArray());

        byte[] down = DgramRig.Frame(to: 10, from: 20, length: length, mark: 4);
        rig.Harness.Inject(0, down);
        Assert.Equal(down, peer.Receive(s_wait));
        rig.AssertAccounted(dgramRx: 2);
        Assert.Equal(0, rig.Counters("d0").IngressDrops);
    }

    [Fact]
    public void Before_its_peer_speaks_the_port_is_down_and_floods_towards_it_count_port_down()
    {
        using var rig = new DgramRig();
        Assert.Contains("no peer yet", rig.Port.StateReason);
        rig.Harness.Inject(0, DgramRig.Broadcast(from: 20));
        Assert.True(EndToEnd.WaitFor(() => rig.Counters("d0").Dropped(DropReason.PortDown) == 1, s_wait));
        rig.AssertAccounted();
        Assert.Equal($"{rig.Path} (peer not known yet)", DescribeDevice(rig.Port));
    }

    [Fact]
    public void A_fixed_peer_is_the_only_sender_taken()
    {
        string guest = DgramPeer.NewPath();
        using var rig = new DgramRig(fixedPeer: guest);
        Assert.Equal(guest, rig.Port.Peer);
        Assert.True(rig.Port.PeerIsFixed);
        using var stranger = new DgramPeer(rig.Path);
        stranger.Send(DgramRig.Broadcast(from: 11));
        Assert.True(EndToEnd.WaitFor(() => rig.Counters("d0").Dropped(DropReason.DgramForeignSender) == 1, s_wait));
        Assert.Equal(PortState.LinkDown, rig.Port.State);

        using DgramPeer peer = rig.Join(station: 10, ownPath: guest);
        stranger.Send(DgramRig.Broadcast(from: 11));
        Assert.True(EndToEnd.WaitFor(() => rig.Counters("d0").Dropped(DropReason.DgramForeignSender) == 2, s_wait));
        byte[] reply = DgramRig.Frame(to: 10, from: 20);
        rig.Harness.Inject(0, reply);
        Assert.Equal(reply, peer.Receive(s_wait));
        Assert.Null(stranger.Receive(TimeSpan.FromMilliseconds(100)));
        rig.AssertAccounted(dgramRx: 3);
        Assert.Contains(", fixed)", DescribeDevice(rig.Port));
    }

    [Fact]
    public void The_socket_is_mode_0600_a_stale_file_is_replaced_and_a_bound_socket_is_refused()
    {
        string path = DgramPeer.NewPath();
        using (var leftover = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Unspecified))
        {
            leftover.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(path)); // closed at once: its file stays, nobody bound
        }

        using (DgramPort port = DgramPort.Bind("d0", path))
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            IOException e = Assert.Throws<IOException>(() => DgramPort.Bind("d1", path));
            Assert.Contains("in use", e.Message);
        }

        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Frames_sent_faster_than_the_peer_reads_are_counted_ring_full_and_the_accounting_holds()
    {
        using var rig = new DgramRig();
        using DgramPeer peer = rig.Join();

        // The peer reads nothing: its queue (net.unix.max_dgram_qlen) fills and sendmmsg says EAGAIN.
        byte[] frame = DgramRig.Frame(to: 10, from: 20, length: 1500);
        long deadline = Environment.TickCount64 + 30_000;
        while (rig.Counters("d0").Dropped(DropReason.RingFull) == 0 && Environment.TickCount64 < deadline)
        {
            for (int i = 0; i < 256; i++)
            {
                rig.Harness.Ports[0].TryInject(frame);
            }

            Assert.True(EndToEnd.WaitFor(() => rig.Counters("p0").RxFrames == rig.Harness.Ports[0].Injected, s_wait));
        }

        Assert.True(rig.Counters("d0").Dropped(DropReason.RingFull) > 0, "no ring-full drop while the peer read nothing");
        rig.AssertAccounted(dgramRx: 1);
        Assert.Equal(PortState.Up, rig.Port.State);
        Assert.True(peer.DrainAll() > 0);
    }

    internal static string DescribeDevice(Port port)
    {
        var description = new PortDescription();
        port.Describe(description);
        return description.Device ?? "";
    }
}
