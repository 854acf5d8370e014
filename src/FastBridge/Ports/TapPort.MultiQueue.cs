using FastBridge.Buffers;
using FastBridge.Diagnostics;
using FastBridge.Interop;

namespace FastBridge.Ports;

/// <summary>
/// Multi-queue TAP (IFF_MULTI_QUEUE): one fd per queue, each queue received by one worker, each worker writing through
/// a queue of its own, so no fd is shared between workers (docs/multiqueue.md).
/// </summary>
/// <remarks>
/// <para>
/// Design: queue 0 is this port's own fd; queues 1 to N-1 are TapPorts of their own (<see cref="_queues"/>), one per
/// fd, each with its own read buffers, virtio-net header scratch and counters, never added to a bridge: the engine sees
/// one port. So every queue runs the single-queue receive and transmit code as it is, and whatever that code learns to
/// do (batched reads, say) every queue does. The kernel picks the queue of a frame it sends out of the interface by
/// flow hash, or by where the flow's last frame was written (tun's automatic steering), so with one queue per worker
/// and each worker writing through the queue it reads, both directions of a flow stay on one worker.
/// </para>
/// <para>
/// State: a queue's state changes are the port's. <see cref="SetState"/> hides <see cref="Port"/>'s inside TapPort,
/// so every SetState in the TAP's files (read and write faults, link up again) goes through it: on a queue it is
/// forwarded to the port the engine sees; on that port, link-down and gone are also given to every queue, so each
/// queue's next successful write or read brings the port up again and a gone device costs no more system calls.
/// </para>
/// <para>
/// Thread-safety: queue q is received only by its owning worker (<see cref="ReceiveQueue"/>); a queue is written by the
/// workers whose transmit queue it is, one worker per queue when there are at least as many queues as workers (TAP
/// writes are independent system calls, so sharing one is safe too). The per-queue figures (<see cref="_queueFrames"/>)
/// sit a cache line apart: received frames are written by the queue's owner only, transmitted ones with an
/// interlocked add once per burst.
/// </para>
/// </remarks>
public sealed unsafe partial class TapPort
{
    /// <summary>Most queues a TAP port opens (the kernel allows 256; the bridge has at most 64 workers).</summary>
    internal const int MaxQueues = 64;

    /// <summary>Longs between the figures of two queues: one cache line.</summary>
    private const int QueueStride = 8;

    /// <summary>Queues 1 to N-1 of a multi-queue port; null on a single-queue port and on the queues themselves.</summary>
    private TapPort[]? _queues;

    /// <summary>On a queue of a multi-queue port: the port the engine sees, which takes the queue's state changes.</summary>
    private TapPort? _queueOf;

    /// <summary>_transmitQueue[w]: the queue worker w writes through (the one it reads when it has one).</summary>
    private int[] _transmitQueue = [];

    /// <summary>Per queue q: frames received at [q * QueueStride], frames given to transmit at [q * QueueStride + 1].</summary>
    private long[]? _queueFrames;

    internal override int QueueCount => _queues is null ? 1 : _queues.Length + 1;

    internal override int QueuePollFd(int queue) => queue == 0 ? PollFd : _queues![queue - 1].PollFd;

    /// <summary>Binds the reads of queue <paramref name="queue"/> (its own TapPort) to the calling worker's ring.</summary>
    internal override void BindReceiveQueue(int queue)
    {
        if (queue == 0)
        {
            BindReceive();
        }
        else
        {
            _queues![queue - 1].BindReceive();
        }
    }

    /// <summary>Undoes <see cref="BindReceiveQueue"/> for queue <paramref name="queue"/>.</summary>
    internal override void UnbindReceiveQueue(int queue)
    {
        if (queue == 0)
        {
            UnbindReceive();
        }
        else
        {
            _queues![queue - 1].UnbindReceive();
        }
    }

    internal override int ReceiveQueue(int queue, PacketPool pool, Span<Packet> burst)
    {
        if (_queueFrames is not { } figures)
        {
            return Receive(pool, burst);
        }

        int n = queue == 0 ? Receive(pool, burst) : _queues![queue - 1].Receive(pool, burst);
        if (n > 0)
        {
            ref long received = ref figures[queue * QueueStride];
            Volatile.Write(ref received, received + n);
        }

        return n;
    }

    internal override void AssignQueues(ReadOnlySpan<int> owners, int workers)
    {
        if (_queues is null)
        {
            return;
        }

        int count = QueueCount;
        var map = new int[workers];
        for (int w = 0; w < workers; w++)
        {
            map[w] = w % count; // a worker that reads no queue of this port (fewer queues than workers)
        }

        for (int q = Math.Min(owners.Length, count) - 1; q >= 0; q--)
        {
            map[owners[q]] = q; // a worker writes through the queue it reads (its lowest, if it reads several)
        }

        _transmitQueue = map;
    }

    /// <summary>Frames received through each queue (a multi-queue port; one element for any other).</summary>
    internal long[] QueueReceived => QueueFigures(0);

    /// <summary>Frames given to transmit through each queue (a multi-queue port; one element for any other).</summary>
    internal long[] QueueTransmitted => QueueFigures(1);

    /// <summary>
    /// On a multi-queue port: sends <paramref name="frames"/> through the calling worker's queue when that is not queue
    /// 0 and returns true; false when this port's own fd (queue 0) is the one to write. Counts the burst on the queue.
    /// </summary>
    private bool TransmitThroughQueue(ReadOnlySpan<Packet> frames, Span<DropReason> outcome)
    {
        int[] map = _transmitQueue;
        int worker = WorkerIndex;
        int queue = (uint)worker < (uint)map.Length ? map[worker] : worker % QueueCount;
        Interlocked.Add(ref _queueFrames![(queue * QueueStride) + 1], frames.Length);
        if (queue == 0)
        {
            return false;
        }

        _queues![queue - 1].Transmit(frames, outcome);
        return true;
    }

    /// <summary>
    /// Records a state change of this port or queue (hides <see cref="Port"/>'s inside TapPort: see the remarks above).
    /// A queue's change is forwarded to its port; a port's link-down or gone is given to each of its queues as well.
    /// </summary>
    private new void SetState(PortState state, string? reason)
    {
        base.SetState(state, reason);
        if (_queueOf is { } port)
        {
            port.SetState(state, reason);
        }
        else if (_queues is { } queues && state is PortState.LinkDown or PortState.Gone)
        {
            foreach (TapPort queue in queues)
            {
                queue.SetOwnState(state, reason);
            }
        }
    }

    /// <summary>Port's SetState on this queue alone (no forwarding).</summary>
    private void SetOwnState(PortState state, string? reason) => base.SetState(state, reason);

    /// <summary>Adds what the queues counted themselves (their receive drops, failed reads) to the port's counters.</summary>
    private void AddQueueCounters(CounterValues snapshot)
    {
        if (_queues is null)
        {
            return;
        }

        foreach (TapPort queue in _queues)
        {
            queue.AddOwnCounters(snapshot);
        }
    }

    /// <summary>port-list shows a multi-queue port's queue count and what went through each queue.</summary>
    private void DescribeQueues(PortDescription description)
    {
        if (_queues is null)
        {
            return;
        }

        description.Queues = QueueCount;
        description.QueueRxFrames = QueueReceived;
        description.QueueTxFrames = QueueTransmitted;
    }

    /// <summary>Closes queues 1 to N-1 (after this port's own fd: a device the port created goes with the last one).</summary>
    private void DisposeQueues()
    {
        if (_queues is null)
        {
            return;
        }

        foreach (TapPort queue in _queues)
        {
            queue.Dispose();
        }
    }

    private long[] QueueFigures(int offset)
    {
        var figures = new long[QueueCount];
        if (_queueFrames is { } all)
        {
            for (int q = 0; q < figures.Length; q++)
            {
                figures[q] = Volatile.Read(ref all[(q * QueueStride) + offset]);
            }
        }

        return figures;
    }

    /// <summary>
    /// <see cref="Open"/> with <see cref="TapPortOptions.Queues"/> above 1: <c>Queues</c> fds opened on
    /// /dev/net/tun and attached to the device with IFF_MULTI_QUEUE (the first creates it when it does not exist), each
    /// non-blocking; offloads and the link are set up once, for the device.
    /// </summary>
    private static TapPort OpenQueues(string name, TapPortOptions options)
    {
        int count = options.Queues;
        if (count is < 1 or > MaxQueues)
        {
            throw new ArgumentException($"a TAP port has 1 to {MaxQueues} queues, not {count}");
        }

        bool existed = Libc.IfNameToIndex(name) != 0;
        var handles = new List<FileDescriptor>(count);
        try
        {
            string deviceName = name;
            bool created = false;
            for (int q = 0; q < count; q++)
            {
                int fd = Syscall.Open(Tun.DevicePath, Libc.O_RDWR | Libc.O_CLOEXEC, out int errno);
                if (fd < 0)
                {
                    throw new TapException(DeviceFileErrorMessage(errno), errno, name);
                }

                handles.Add(new FileDescriptor(fd, ownsHandle: true));
                IfReq request = IfReq.ForName(deviceName);
                request.Flags = options.TunFlags;
                if (Syscall.Ioctl(fd, Tun.TUNSETIFF, &request, out errno) < 0)
                {
                    throw new TapException(QueueOpenErrorMessage(name, q, count, errno, existed), errno, name);
                }

                if (q == 0)
                {
                    deviceName = request.GetName();
                    IfReq attached = default;
                    bool persistent = Syscall.Ioctl(fd, Tun.TUNGETIFF, &attached, out _) == 0 && (attached.Flags & Tun.IFF_PERSIST) != 0;
                    created = !existed && !persistent; // as in Open
                }

                if (Syscall.SetNonBlocking(fd, out errno) < 0)
                {
                    throw new TapException($"cannot make queue {q} of TAP device '{deviceName}' non-blocking: {Errno.Describe(errno)}", errno, deviceName);
                }
            }

            int first = handles[0].Value;
            int vnetHeaderSize = options.Offloads ? EnableOffloads(first, deviceName) : DisableOffloads(first);
            bool wasDown = options.BringUp && BringUp(deviceName);
            var port = new TapPort(deviceName, deviceName, handles[0], created, vnetHeaderSize)
            {
                _restoreDownIfIndex = wasDown && !created ? (int)Libc.IfNameToIndex(deviceName) : 0,
                _queueFrames = new long[count * QueueStride],
            };
            var queues = new TapPort[count - 1];
            for (int q = 1; q < count; q++)
            {
                queues[q - 1] = new TapPort(deviceName, deviceName, handles[q], created, vnetHeaderSize) { _queueOf = port };
            }

            port._queues = queues;
            return port;
        }
        catch
        {
            foreach (FileDescriptor handle in handles)
            {
                handle.Dispose(); // a device this call created disappears with the last one
            }

            throw;
        }
    }

    /// <summary>
    /// A multi-queue port over fds that, like a TAP's queue fds, give one whole frame per read and take one per write
    /// (datagram socketpairs), without checking that they are TAP queues: for tests without privileges. Owns the fds.
    /// </summary>
    internal static TapPort WrapQueuesUnchecked(ReadOnlySpan<int> fds, string name)
    {
        TapPort port = WrapUnchecked(fds[0], name, ownsFd: true);
        port._queueFrames = new long[fds.Length * QueueStride];
        var queues = new TapPort[fds.Length - 1];
        for (int q = 1; q < fds.Length; q++)
        {
            queues[q - 1] = WrapUnchecked(fds[q], name, ownsFd: true);
            queues[q - 1]._queueOf = port;
        }

        port._queues = queues;
        return port;
    }

    /// <summary>The message for a failed TUNSETIFF of queue <paramref name="queue"/> of <paramref name="count"/>.</summary>
    internal static string QueueOpenErrorMessage(string name, int queue, int count, int errno, bool deviceExisted) => errno switch
    {
        Errno.EINVAL when deviceExisted && queue == 0 =>
            $"cannot attach to '{name}' with {count} queues: an interface of that name exists but is not a multi-queue TAP " +
            $"(make one with 'ip tuntap add dev {name} mode tap multi_queue', or open it with one queue)",
        _ when queue == 0 => OpenErrorMessage(name, errno, deviceExisted),
        _ => $"cannot attach queue {queue + 1} of {count} to TAP device '{name}': {Errno.Describe(errno)}",
    };
}
