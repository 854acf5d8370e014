using FastBridge.Buffers;
using FastBridge.Diagnostics;
using FastBridge.Interop;

namespace FastBridge.Ports.Netdev;

/// <summary>
/// A port on an interface that already exists and belongs to someone else — libvirt's <c>vnetN</c> tap held by QEMU,
/// a container's veth, an uplink — attached through an AF_PACKET socket bound to it. Open one with <see cref="Open"/>.
/// </summary>
/// <remarks>
/// <para>
/// Design: one AF_PACKET SOCK_RAW socket bound to the interface's index with protocol ETH_P_ALL (bound only after the
/// ring is set up, so it never sees other interfaces' traffic). Receive walks a ring mapped into the process. By
/// default (<see cref="NetdevPortOptions.LowLatency"/>) a TPACKET_V2 ring: one slot per frame, each with its own status
/// word, handed over (and the socket made readable) as soon as the kernel wrote it; the port copies the frame out and
/// gives the slot back at once. Otherwise a TPACKET_V3 ring: the kernel fills fixed-size blocks with
/// variable-size frames and hands a block over when it is full or its timeout
/// (<see cref="NetdevPortOptions.BlockTimeoutMs"/>) ran out; the port returns the whole block after its last frame.
/// Either way each frame is copied into a pool buffer (putting back the 802.1Q tag the kernel stripped,
/// <see cref="RingFrame"/>), with no system call per frame and none per burst while frames are waiting. Transmit is
/// one sendmmsg per burst. PACKET_QDISC_BYPASS sends straight to the driver (as a switch port, the qdisc layer only
/// adds a queue); PACKET_IGNORE_OUTGOING keeps the frames the switch sent out of its own receive ring. Promiscuous
/// mode comes from PACKET_ADD_MEMBERSHIP, which the kernel undoes when the socket closes; an interface that was
/// administratively down is brought up and set down again when the port goes, so the interface is left as found.
/// </para>
/// <para>
/// Offloads (<see cref="NetdevPortOptions.Offloads"/>, the default): PACKET_VNET_HDR puts a virtio-net header in front
/// of every frame both ways (<see cref="VnetHeader"/>). On receive it becomes the frame's <see cref="Packet.Offload"/>
/// (checked against the frame; nonsense is dropped as <see cref="DropReason.BadOffload"/>), so a veth peer's TSO
/// super-frames (up to 64 KiB, in one V3 block) and partial checksums cross the switch whole to ports that take
/// offloads; on transmit (<see cref="Port.AcceptsOffloads"/>) the metadata goes back into the header and the kernel
/// fills checksums and segments where the interface cannot take a super-frame. Without offloads the engine finishes
/// frames before Transmit and the peer must send complete frames (<c>ethtool -K PEER tx off</c>).
/// </para>
/// <para>
/// MTU: a frame that is not a super-frame and is longer than the interface's MTU plus an Ethernet header and two tags
/// (or one cut short by the ring) is dropped as <see cref="DropReason.OverMtu"/> on receive and as
/// <see cref="DropReason.TxOverMtu"/> on transmit, never passed on truncated.
/// </para>
/// <para>
/// Faults: the kernel reports an interface that went down or was deleted as ENETDOWN on the socket (EPOLLERR wakes
/// the worker). Receive looks at SO_ERROR once every 32 calls that found the ring empty (and so also clears the error
/// that would otherwise keep epoll waking): a socket whose bound index became -1 means the interface was deleted
/// (<see cref="PortState.Gone"/>), else it is down (<see cref="PortState.LinkDown"/>) until it is up and running again
/// or a frame arrives. sendmmsg failing with ENETDOWN or ENXIO says the same. A deleted interface's port stays Gone;
/// remove it and add the re-created interface again.
/// </para>
/// <para>
/// Thread-safety: Receive on the owning worker only; Transmit on any worker, several at once
/// (<see cref="ConcurrentTransmit"/>): each sendmmsg is its own system call with its message array on that thread's
/// stack. Safety (the unsafe code): the ring is one mapping made at open and unmapped only in Dispose, after the
/// bridge's grace period; every offset into it comes from <see cref="RingFrame.TryRead"/>, which checks it against the
/// block. Performance: no allocation, no exception, no log on the frame path.
/// </para>
/// </remarks>
public sealed unsafe partial class NetdevPort : Port
{
    private const string ReasonDisposed = "port disposed";

    private readonly FileDescriptor _fd;
    private readonly int _fdNumber;
    private readonly byte* _ring;
    private readonly nuint _ringBytes;
    private readonly int _blockSize;
    private readonly int _blockCount;

    /// <summary>Bytes of one TPACKET_V2 frame slot; 0 for a TPACKET_V3 block ring.</summary>
    private readonly int _frameSize;
    private readonly int _frameCount;
    private readonly int _ifIndex;
    private readonly bool _broughtUp;

    /// <summary>The socket has PACKET_VNET_HDR: a virtio-net header before every frame, both ways.</summary>
    private readonly bool _offloads;
    private int _disposed;

    private NetdevPort(string name, FileDescriptor fd, byte* ring, nuint ringBytes, RingGeometry geometry, int ifIndex, int mtu, bool broughtUp, bool offloads)
        : base(name)
    {
        _offloads = offloads;
        _fd = fd;
        _fdNumber = fd.Value;
        _ring = ring;
        _ringBytes = ringBytes;
        _blockSize = geometry.BlockSize;
        _blockCount = geometry.BlockCount;
        _frameSize = geometry.PerFrame ? geometry.FrameSize : 0;
        _frameCount = geometry.FrameCount;
        _ifIndex = ifIndex;
        _broughtUp = broughtUp;
        Mtu = mtu;
        MaxFrameLength = mtu + EthernetHeaderSize + (2 * RingFrame.TagSize);
        _linkRequest = Interop.IfReq.ForName(name);
    }

    private const int EthernetHeaderSize = 14;

    /// <summary>The interface's name (also the port's).</summary>
    public string DeviceName => Name;

    public override string Kind => "netdev";

    protected internal override void Describe(PortDescription description) => description.Device = DeviceName;

    /// <summary>The interface's index when it was attached.</summary>
    public int InterfaceIndex => _ifIndex;

    /// <summary>The interface's MTU when it was attached.</summary>
    public int Mtu { get; }

    /// <summary>Longest frame passed on: the MTU plus an Ethernet header and two VLAN tags.</summary>
    public int MaxFrameLength { get; }

    /// <summary>True for a TPACKET_V2 ring (frames handed over one by one, <see cref="NetdevPortOptions.LowLatency"/>).</summary>
    public bool LowLatency => _frameSize != 0;

    /// <summary>
    /// True when the socket carries offloads (PACKET_VNET_HDR, <see cref="NetdevPortOptions.Offloads"/>): super-frames and
    /// pending checksums go out as they are, with a virtio-net header.
    /// </summary>
    public override bool AcceptsOffloads => _offloads;

    /// <summary>True when the port brought the interface up and sets it down again when it goes.</summary>
    public bool BroughtUp => _broughtUp;

    protected internal override int PollFd => Volatile.Read(ref _disposed) == 0 ? _fdNumber : -1;

    protected internal override bool ConcurrentTransmit => true;

    /// <summary>
    /// A TPACKET_V2 ring is polled in memory (a slot's status word), so the owning worker spins on it for a while after
    /// its last frame rather than sleeping: a ping-pong's reply then finds it awake (docs/netdev.md, Cost). A V3 ring
    /// hands over whole blocks on a millisecond timeout, which a short spin does not reach.
    /// </summary>
    internal override bool ReceivesFromMemory => _frameSize != 0;

    protected override void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        SetState(PortState.Gone, ReasonDisposed);
        if (_broughtUp)
        {
            RestoreDown(Name, _ifIndex);
        }

        PacketSocket.Munmap(_ring, _ringBytes);
        _fd.Dispose(); // promiscuous membership ends with the socket
        base.Dispose(disposing);
    }
}
