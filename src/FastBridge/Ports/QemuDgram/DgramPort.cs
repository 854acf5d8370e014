using System.Runtime.InteropServices;
using FastBridge.Buffers;
using FastBridge.Diagnostics;
using FastBridge.Interop;
using FastBridge.Ports.Netdev;

namespace FastBridge.Ports.QemuDgram;

/// <summary>
/// A port on a unix datagram socket the switch binds, for QEMU's
/// <c>-netdev dgram,id=n0,local.type=unix,local.path=GUEST.sock,remote.type=unix,remote.path=PATH</c>: one Ethernet
/// frame per datagram, no header, no connection. Create one with <see cref="Bind"/>.
/// </summary>
/// <remarks>
/// <para>
/// Design: QEMU binds its own path and sends every frame with sendto to the switch's path; it receives whatever is sent
/// to its path. So the port has no connection to accept: its peer is an address. By default the peer is learned: the
/// first named socket whose datagram holds a frame becomes the peer, and frames go to it (a QEMU needs no switch-side
/// setting of its path, and a guest always speaks first: DHCP, router solicitations, ARP). With
/// <see cref="DgramPortOptions.Peer"/> the peer is fixed instead. Either way datagrams from any other sender, and from
/// unnamed sockets that could not be answered, are <see cref="DropReason.DgramForeignSender"/> drops: one port, one
/// peer, as for the stream port.
/// </para>
/// <para>
/// I/O on the owning worker, as the VXLAN port does: the socket is the port's <see cref="Port.PollFd"/>; Receive is one
/// recvmmsg of up to 64 datagrams straight into pool buffers held across calls (a frame longer than a small buffer
/// continues into a per-message overflow area and is moved into a large buffer); Transmit is one sendmmsg per 64 frames
/// to the peer, each message pointing at the frame's own buffer (no copy).
/// </para>
/// <para>
/// Drops: a datagram over 65,535 bytes (cut short: MSG_TRUNC) is <see cref="DropReason.DgramOversize"/>, an empty one
/// <see cref="DropReason.DgramEmpty"/> (QEMU itself takes a zero-length read as the end of its peer). Towards the peer,
/// a full receive queue of the peer (EAGAIN: a unix datagram socket queues only net.unix.max_dgram_qlen datagrams,
/// 10 by default) is <see cref="DropReason.RingFull"/>: a drop, never a wait.
/// </para>
/// <para>
/// Faults: the port is <see cref="PortState.LinkDown"/> until its peer sends. sendmmsg failing with ENOENT (the peer's
/// socket file is gone) or ECONNREFUSED (nobody is bound to it: QEMU exited) takes it down again with the reason, and a
/// learned peer is forgotten; the port comes back up when the peer (or, when learned, the next sender) sends again.
/// A learned peer that went away while nothing was sent to it is found when a foreign datagram arrives: at most once a
/// second the port connects a probe socket to the peer's path (no datagram is sent), and a refusal forgets it. The
/// MACs learned on the port are forgotten at every change (<see cref="Port.ForgetsStationsWhenDown"/>).
/// </para>
/// <para>
/// Thread-safety: Receive and Transmit run on the owning worker only (no <see cref="Port.ConcurrentTransmit"/>), so the
/// peer address and the message arrays have a single writer; <see cref="Peer"/> reads the address through a sequence
/// number. Performance: no allocation, lock, exception or log per frame; one system call per burst each way.
/// </para>
/// </remarks>
public sealed unsafe partial class DgramPort : Port
{
    private const string ReasonDisposed = "port disposed";

    private readonly FileDescriptor _socket;
    private readonly FileDescriptor _probe;
    private readonly int _fd;
    private int _disposed;

    private DgramPort(string name, string path, DgramPortOptions options, FileDescriptor socket, FileDescriptor probe)
        : base(name)
    {
        SocketPath = path;
        Group = options.Group;
        _socket = socket;
        _probe = probe;
        _fd = socket.Value;
        AllocatePeer(options.Peer);
        AllocateReceive();
        AllocateTransmit();
        SetState(PortState.LinkDown, options.Peer is null ? ReasonNoPeer : ReasonWaitingForPeer);
    }

    /// <summary>The socket the port is bound to (QEMU's <c>remote.path</c>).</summary>
    public string SocketPath { get; }

    /// <summary>The group that may send to the socket (mode 0660), or null (0600).</summary>
    public string? Group { get; }

    public override string Kind => "dgram";

    protected internal override bool ForgetsStationsWhenDown => true;

    protected internal override int PollFd => Volatile.Read(ref _disposed) == 0 ? _fd : -1;

    /// <summary>port-list's device column: the socket, and the peer (learned or fixed) or that none is known.</summary>
    protected internal override void Describe(PortDescription description)
    {
        string? peer = Peer;
        description.Device = $"{SocketPath} (peer {(peer is null ? "not known yet" : peer)}{(PeerIsFixed ? ", fixed" : "")})";
    }

    protected internal override void AddOwnCounters(CounterValues snapshot)
    {
        base.AddOwnCounters(snapshot);
        snapshot.Add(Counter.DgramPeerChanges, Volatile.Read(ref _peerChanges));
    }

    protected override void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        SetState(PortState.Gone, ReasonDisposed);
        _socket.Dispose();
        _probe.Dispose();
        try
        {
            File.Delete(SocketPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // a file someone else replaced or a folder gone: nothing of ours is left to remove
        }

        ReleaseReceiveBuffers();
        NativeMemory.Free(_rxMemory);
        NativeMemory.Free(_rxOverflow);
        NativeMemory.Free(_txMemory);
        base.Dispose(disposing);
    }
}
