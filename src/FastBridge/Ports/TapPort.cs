using System.Runtime.CompilerServices;
using FastBridge.Buffers;
using FastBridge.Diagnostics;
using FastBridge.Interop;

namespace FastBridge.Ports;

/// <summary>
/// A port on a Linux TAP device: frames the kernel sends out of the interface are received, frames transmitted are
/// handed to the kernel as if they arrived on it. Create one with <see cref="Open"/> or <see cref="Adopt"/>.
/// </summary>
/// <remarks>
/// <para>
/// Design: one non-blocking fd (IFF_TAP | IFF_NO_PI), so one read() is one whole frame and one write() sends one.
/// <see cref="Receive"/> reads until EAGAIN or the burst is full, each frame with readv into two pieces: a small pool
/// buffer and, behind it, a large pool buffer the port keeps rented (from its byte 2048 on). An ordinary frame stays in
/// the small buffer; a jumbo frame's first 2048 bytes are copied to the front of the large buffer, which then holds the
/// whole frame, and a new large buffer is rented for the next read. So a burst of ordinary frames costs one syscall and
/// no copy each, and a jumbo frame costs one extra 2 KiB copy, while the pool reserves 64 KiB only for the few large
/// buffers. When no large buffer is available the second piece is a scratch buffer of the port's own: the read still
/// takes the frame off the kernel queue, but a frame that spilled there is dropped and counted
/// (<see cref="RxNoLargeBuffer"/>), as is a frame longer than <see cref="PacketPool.MaxFrameLength"/>
/// (<see cref="RxOversize"/>). When the pool has no small buffer the port stops reading: the frames wait in the kernel
/// queue, and when that fills the kernel drops and counts them (tx_dropped of the interface).
/// <see cref="Transmit"/> is one write() per frame (a TAP fd takes one frame per write; batching would need io_uring).
/// </para>
/// <para>
/// Offloads: a port opened with <see cref="TapPortOptions.Offloads"/> (or an adopted fd with IFF_VNET_HDR) has a
/// virtio-net header in front of every frame. Receive reads it as a third readv piece (in front of the small buffer)
/// into a pinned scratch; an all-zero flags/GSO pair (most frames) costs one 2-byte compare, anything else is copied
/// into the frame's <see cref="Packet.Offload"/> and validated against the frame (<see cref="Diagnostics.DropReason.BadOffload"/>).
/// GSO super-frames are up to 64 KiB, so with a header the port stops reading when no large buffer is free (the frames
/// wait in the kernel queue) instead of reading them into scratch and dropping them, for up to 64 calls in a row (so a
/// port still makes progress when more offload ports than large buffers exist). Transmit is
/// writev([header from the metadata], [frame]). Such a port <see cref="AcceptsOffloads"/>.
/// </para>
/// <para>
/// Faults become states, never exceptions: EIO on write means the interface was set down (<see cref="PortState.LinkDown"/>,
/// the rest of that burst is not tried; the next burst tries again and the first frame that goes through, or the first
/// frame received, sets the port <see cref="PortState.Up"/> again). EBADFD (and EBADF, ENODEV, ENXIO) means the
/// device was deleted: <see cref="PortState.Gone"/>, after which the port makes no syscalls at all. The state reasons
/// are constant strings, so a state change on the frame path builds nothing.
/// </para>
/// <para>
/// Lifetime: a device the port created (<see cref="CreatedDevice"/>) is not persistent and disappears with the port's
/// fd, in whichever namespace its kernel side is by then; a device it attached to, or adopted, is left alone.
/// </para>
/// <para>
/// Thread-safety: <see cref="Receive"/> runs on the owning worker only. <see cref="Transmit"/> runs on any worker, possibly
/// several at once and alongside Receive (<see cref="ConcurrentTransmit"/>): each write() is its own system call and
/// the transmit path keeps no state between calls but the port state (<see cref="Port"/>'s SetState is safe from any
/// thread). The receive counters are written by the owner only; all counters may be read from any thread. The bridge
/// stops every worker from reaching the port (a grace period) before disposing it.
/// </para>
/// <para>
/// Safety (the unsafe code here): the scratch and header buffers are pinned arrays (POH) held by the port for its
/// lifetime, so their cached addresses stay valid; frame pointers come from <see cref="Packet.Pointer"/> of frames the
/// port holds during the call, with lengths at most the buffer's capacity.
/// </para>
/// <para>
/// Performance: no allocation, no exception and no logging on the frame path; errno goes through
/// <see cref="Syscall"/>, which retries EINTR. The raw fd number is cached so the frame path does not touch the
/// SafeHandle's reference count per call; after <see cref="Port.Dispose()"/> the state is Gone, so the cached number
/// (which the kernel may reuse) is never used again.
/// </para>
/// </remarks>
public sealed unsafe partial class TapPort : Port
{
    private const string ReasonDisposed = "port disposed";

    private readonly FileDescriptor _fd;
    private readonly int _fdNumber;

    /// <summary>Second readv piece when no large buffer is rented: pinned (POH), so its address never changes.</summary>
    private readonly byte[] _scratch;
    private readonly byte* _scratchPointer;

    /// <summary>The large buffer the next read spills into, rented ahead from <see cref="_largePool"/>; IsNull when none.</summary>
    private Packet _large;
    private PacketPool? _largePool;

    /// <summary>Bytes of the virtio-net header in front of every frame read and written; 0 without IFF_VNET_HDR.</summary>
    private readonly int _vnetHeaderSize;

    /// <summary>Where readv puts each frame's virtio-net header: pinned, like the scratch.</summary>
    private readonly byte[] _header;
    private readonly byte* _headerPointer;

    /// <summary>Receive calls in a row that left frames in the kernel queue for want of a large buffer.</summary>
    private int _largeWaits;

    /// <summary>Most receive calls in a row an offload port waits for a large buffer before it reads with scratch.</summary>
    private const int MaxLargeWaits = 64;

    private long _rxOversize;
    private long _rxSuperFrames;
    private long _rxBadOffload;
    private long _rxNoLargeBuffer;
    private long _rxErrors;
    private int _disposed;

    private TapPort(string name, string deviceName, FileDescriptor fd, bool createdDevice, int vnetHeaderSize)
        : base(name)
    {
        _vnetHeaderSize = vnetHeaderSize;
        _header = GC.AllocateArray<byte>(MaxVnetHeaderSize, pinned: true);
        _headerPointer = (byte*)Unsafe.AsPointer(ref _header[0]);
        _fd = fd;
        _fdNumber = fd.Value;
        DeviceName = deviceName;
        CreatedDevice = createdDevice;
        _scratch = GC.AllocateUninitializedArray<byte>(ScratchSize, pinned: true);
        _scratchPointer = (byte*)Unsafe.AsPointer(ref _scratch[0]);
    }

    /// <summary>Bytes of the scratch piece: with the small buffer in front, a frame of any possible length fits.</summary>
    internal const int ScratchSize = PacketPool.MaxFrameLength;

    /// <summary>Largest virtio-net header an adopted fd may use (the kernel's are 10, 12, 20 or 24 bytes).</summary>
    internal const int MaxVnetHeaderSize = 64;

    /// <summary>
    /// Bytes of the virtio-net header in front of each frame on this fd: 0 without IFF_VNET_HDR, 12 for a port
    /// <see cref="Open"/> made with <see cref="TapPortOptions.Offloads"/>, whatever the owner set for an adopted fd.
    /// </summary>
    public int VnetHeaderSize => _vnetHeaderSize;

    /// <summary>With a virtio-net header the port reads and writes pending checksums and GSO super-frames as they are.</summary>
    public override bool AcceptsOffloads => _vnetHeaderSize != 0;

    /// <summary>The kernel's name of the interface, as it was when the port opened it.</summary>
    public string DeviceName { get; }

    public override string Kind => "tap";

    protected internal override void Describe(PortDescription description)
    {
        description.Device = DeviceName;
        DescribeQueues(description);
    }

    /// <summary>True when <see cref="Open"/> created the device (it goes away with the port), false when it attached to an existing one.</summary>
    public bool CreatedDevice { get; }

    protected internal override int PollFd => Volatile.Read(ref _disposed) == 0 ? _fdNumber : -1;

    /// <summary>
    /// Frames received longer than <see cref="PacketPool.MaxFrameLength"/>, read off the kernel queue and dropped. The
    /// engine adds them to its <see cref="Diagnostics.DropReason.Oversize"/> count (the frames never reach it).
    /// </summary>
    internal long RxOversize => Volatile.Read(ref _rxOversize);

    /// <summary>GSO super-frames received (a virtio-net header with a GSO type).</summary>
    internal long RxSuperFrames => Volatile.Read(ref _rxSuperFrames);

    /// <summary>Frames received with a virtio-net header that made no sense for them: dropped as <see cref="Diagnostics.DropReason.BadOffload"/>.</summary>
    internal long RxBadOffload => Volatile.Read(ref _rxBadOffload);

    /// <summary>Frames longer than a small buffer received while no large buffer was available: dropped.</summary>
    internal long RxNoLargeBuffer => Volatile.Read(ref _rxNoLargeBuffer);

    /// <summary>Reads that failed with an unexpected errno (not EAGAIN, not a deleted device).</summary>
    internal long RxErrors => Volatile.Read(ref _rxErrors);

    /// <summary>Adds the failed reads (<see cref="Counter.RxErrors"/>) to what every port counts itself.</summary>
    protected internal override void AddOwnCounters(CounterValues snapshot)
    {
        base.AddOwnCounters(snapshot);
        snapshot.Add(Counter.RxErrors, RxErrors);
        AddQueueCounters(snapshot);
    }

    protected override void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        SetState(PortState.Gone, ReasonDisposed);
        if (disposing && !_large.IsNull)
        {
            _large.Release();
            _large = default;
            _largePool = null;
        }

        RestoreLinkState();
        _fd.Dispose();
        DisposeQueues();
        base.Dispose(disposing);
    }
}
