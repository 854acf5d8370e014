using FastBridge.Buffers;
using FastBridge.Dataplane;
using FastBridge.Diagnostics;
using FastBridge.Interop;

namespace FastBridge.Ports.VhostUser;

/// <summary>
/// A port whose peer is a virtio-net device of a virtual machine (QEMU) or of DPDK's virtio-user, reached by the
/// vhost-user protocol: frames move through the guest's own rings in shared memory, no system call per frame.
/// </summary>
/// <remarks>
/// Design: two threads meet here. The control thread (<c>VhostUserPort.Connection.cs</c>) owns the socket and applies
/// the messages to a <see cref="VhostUserDevice"/>; the owning worker walks the rings in <see cref="Receive"/>
/// (guest TX ring) and <see cref="Transmit"/> (guest RX ring). The worker sees the device only through
/// <see cref="_live"/>, published when both rings are ready.
/// Grace point: before any message changes memory or rings, the control thread unpublishes (<see cref="Quiesce"/>):
/// it clears <see cref="_live"/>, issues a process-wide barrier and waits until the worker is outside Receive/Transmit;
/// the worker sets <see cref="_inside"/>, then reads <see cref="_live"/> (an asymmetric Dekker handshake: the fence
/// is paid by the rare control message, not by every burst; the same rule as the DataplaneView grace period, scoped
/// to this port). So an unmap, a ring stop or a disconnect never leaves the
/// worker reading unmapped memory. The worker never blocks inside, so the wait is at most one burst.
/// Waiting: <see cref="PollFd"/> is an epoll fd of the port's own holding the TX ring's kick eventfd, so kick fds can
/// come and go with connections without touching the worker's epoll set.
/// The guest is not trusted: see <see cref="DescriptorWalker"/> and <see cref="GuestMemory"/>.
/// </remarks>
public sealed partial class VhostUserPort : Port
{
    /// <summary>Frames Transmit reserves before it writes them (<c>BridgeOptions.BurstSize</c>'s bound; a longer span goes in parts).</summary>
    private const int MaxBurst = 256;

    /// <summary>
    /// Receive starts loading the guest buffer of the frame this many places ahead of the one it copies (A/B at 64 B,
    /// perf/RESULTS.md "vhost-user: the ring walks' fast path": 0, 2, 4, 8, 16 tried; 4 best, 8-16 no better).
    /// </summary>
    private const int PrefetchAhead = 4;

    private readonly VhostUserDevice _device;
    private readonly Epoll _kicks = new(4);
    private readonly BufferSegment[] _segments = new BufferSegment[DescriptorWalker.MaxSegments];
    private readonly BufferSegment[] _headerSegments = new BufferSegment[DescriptorWalker.MaxSegments];
    private readonly nint[] _targets = new nint[MaxBurst];   // Transmit: per frame, the guest buffer still to write (0: done)
    private VhostUserDevice? _live;
    private int _inside;
    private int _watchedKick = -1;
    private volatile bool _acceptsOffloads;
    private volatile bool _acceptsUdpOffloads;
    private volatile string _features = "-";
    private OffloadFinisher? _finisher; // cuts USO super-frames for a guest that takes TCP offloads but not USO; worker-owned, made on first need

    public VhostUserPort(string name, VhostUserPortOptions options)
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        _device = new VhostUserDevice(options.RequireSealedMemory);
        SetState(PortState.LinkDown, "no vhost-user frontend connected");
        StartConnection();
    }

    public VhostUserPortOptions Options { get; }

    /// <summary>True while a frontend is connected to the socket.</summary>
    public bool FrontendConnected => _connected;

    /// <summary>The virtio features negotiated with the current frontend, as a hexadecimal mask ("-" when none).</summary>
    public string NegotiatedFeatures => _features;

    public override string Kind => "vhost-user";

    protected internal override void Describe(PortDescription description)
    {
        description.Device = Options.SocketPath;
        description.Features = NegotiatedFeatures;
        description.Connected = FrontendConnected;
        description.LastDisconnect = LastDisconnectReason;
    }

    public override bool AcceptsOffloads => _acceptsOffloads;

    /// <summary>
    /// Regions of the current memory table whose file could not be sealed against shrinking (hugetlbfs files, memfds
    /// without sealing): the frontend process, not the guest, could still shrink them under the mapping.
    /// </summary>
    public int UnsealedMemoryRegions => _device.Memory.UnsealedRegions;

    protected internal override int PollFd => _kicks.Fd;

    /// <summary>MACs learned behind a frontend that left are forgotten (a rebooted VM may come back elsewhere).</summary>
    protected internal override bool ForgetsStationsWhenDown => true;

    /// <summary>
    /// Worker side of the grace handshake: announce, then read the published device. No fence between the two: the
    /// control side's process-wide barrier (<see cref="Quiesce"/>) orders them (an asymmetric Dekker handshake), so the
    /// worker's Receive and Transmit, four calls per pass, each save a full fence that would wait for the previous
    /// burst's stores into guest memory to drain (perf/RESULTS.md, "vhost-user: the ring walk batched").
    /// </summary>
    private VhostUserDevice? Enter()
    {
        Volatile.Write(ref _inside, 1);
        VhostUserDevice? live = Volatile.Read(ref _live);
        if (live is null)
        {
            Volatile.Write(ref _inside, 0);
        }

        return live;
    }

    private void Leave() => Volatile.Write(ref _inside, 0);

    /// <summary>
    /// Control side: take the device away from the dataplane and wait until the worker let go of it. The process-wide
    /// barrier makes every thread of the process run a full fence between the clearing of <see cref="_live"/> and the
    /// read of <see cref="_inside"/> (membarrier(2), or the runtime's fallback): either the worker's announcement in
    /// <see cref="Enter"/> is visible to that read (we wait), or the worker's read of <see cref="_live"/> comes after
    /// the barrier and sees null. The JIT emits the worker's volatile store and load in program order (x64: plain
    /// moves, no reordering of volatile accesses); the hardware's store-load reordering is what the barrier covers.
    /// </summary>
    private void Quiesce()
    {
        Volatile.Write(ref _live, null);
        Interlocked.MemoryBarrierProcessWide();
        var spin = default(SpinWait);
        while (Volatile.Read(ref _inside) != 0)
        {
            spin.SpinOnce();
        }

        if (_watchedKick >= 0)
        {
            _kicks.Remove(_watchedKick);
            _watchedKick = -1;
        }

        _acceptsOffloads = false;
        _acceptsUdpOffloads = false;
    }

    /// <summary>Control side: hand the device to the dataplane if both rings are ready; the port is up then.</summary>
    private void PublishIfReady()
    {
        if (!_device.Ready)
        {
            return;
        }

        _features = $"0x{_device.Features:x}";
        _acceptsOffloads = _device.GuestOffloads;
        _acceptsUdpOffloads = _device.GuestUdpOffloads;
        // TX: kicks wake the worker when the ring is idle. RX: a guest out of buffers gets its frames dropped
        // (no-guest-buffer), nothing waits for its refills, so it is told never to kick for them (a write(2) per
        // refill saved in the frontend: DPDK's vhost library disables these notifications too).
        _device.Tx.SetNotifications(true);
        _device.Rx.SetNotifications(false);

        if (_device.Tx.KickFd >= 0)
        {
            _kicks.Add(_device.Tx.KickFd, 0);
            _watchedKick = _device.Tx.KickFd;
        }

        Volatile.Write(ref _live, _device);
        SetState(PortState.Up, "vhost-user frontend ready");
        RequestPoll();
    }

    /// <summary>The worker found the guest's ring indices impossible: stop walking, keep the port down until reconnect.</summary>
    private void StopBrokenRing(VhostUserDevice device, string reason)
    {
        Interlocked.CompareExchange(ref _live, null, device);
        SetState(PortState.LinkDown, reason);
    }

    protected override void Dispose(bool disposing)
    {
        StopConnection();
        Quiesce();
        _device.Dispose();
        _kicks.Dispose();
        base.Dispose(disposing);
    }
}
