using FastBridge.Buffers;
using FastBridge.Diagnostics;

namespace FastBridge.Ports;

/// <summary>
/// One attachment point of the switch: frames come in through <see cref="Receive"/> and go out through
/// <see cref="Transmit"/>. Subclass it for a new kind of port (TAP, in-memory, or one of an embedding program).
/// </summary>
/// <remarks>
/// Design: the engine alone drives a port, in bursts. <see cref="Receive"/> is called only by the one worker thread that
/// owns the port, never concurrently with itself. <see cref="Transmit"/> is called by the owner too, unless the port
/// says <see cref="ConcurrentTransmit"/>: then any worker that switched frames towards it transmits them itself, so
/// Transmit may run on several threads at once and concurrently with Receive (TAP ports do this). A port without
/// ConcurrentTransmit never sees two of its methods run at once and needs no locks. Frames live in the engine's
/// <see cref="PacketPool"/>; a port fills rented buffers on receive and reads them on transmit, so the interface forces
/// no copy and no allocation (OVS's netdev_class rxq_recv / send in batches, the same shape).
/// A port waits for input either through a file descriptor (<see cref="PollFd"/>, put into the worker's epoll set) or,
/// when it has none, by calling <see cref="RequestPoll"/> when frames become ready.
/// Faults: a port reports them with <see cref="SetState"/>; the engine logs the change off the dataplane, stops flooding
/// to a gone port and forgets the MACs learned on it. Ports never throw from the frame path.
/// </remarks>
public abstract partial class Port : IDisposable
{
    private readonly Lock _stateChange = new();
    private volatile PortState _state;
    private volatile string? _stateReason;
    private volatile Action? _wake;
    private int _stateVersion;

    protected Port(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
    }

    /// <summary>The port's name, unique within a bridge.</summary>
    public string Name { get; }

    /// <summary>Number the bridge gave the port; -1 before it is added.</summary>
    public int Id { get; internal set; } = -1;

    /// <summary>The kind of port as port-list names it (tap, netdev, vhost-user, memory); by default its class's name.</summary>
    public virtual string Kind => GetType().Name;

    /// <summary>
    /// Fills in what port-list and stats show about this port beyond its name, id, kind and state (its device, its
    /// peer): a port kind overrides this and sets the members of <paramref name="description"/> that apply to it, so
    /// the control layer needs no type checks. Called off the dataplane while the port runs.
    /// </summary>
    protected internal virtual void Describe(PortDescription description)
    {
    }

    public PortState State => _state;

    /// <summary>Why the port is not <see cref="PortState.Up"/> (or why it last changed state).</summary>
    public string? StateReason => _stateReason;

    internal int StateVersion => Volatile.Read(ref _stateVersion);

    /// <summary>Frames the port itself received and discarded (e.g. oversize), by reason; written by the owning worker (Receive runs on it only).</summary>
    internal long[] ReceiveDrops { get; } = new long[DropReasons.Count];

    /// <summary>
    /// Counts a frame the port took off its device but could not hand to the switch (too long for any buffer, say).
    /// It shows as received and dropped under <paramref name="reason"/>, so the port's accounting still balances.
    /// </summary>
    protected void CountReceiveDrop(DropReason reason) => ReceiveDrops[(int)reason]++;

    /// <summary>
    /// Adds what the port counts itself (not the engine's per-worker blocks) into <paramref name="snapshot"/>: its
    /// receive drops, each also counted as received so the accounting balances, and whatever a port kind keeps of its
    /// own (a TAP port's failed reads). A new port kind overrides this, calls the base and adds its own
    /// <see cref="Counter"/> entries, so the engine needs no type checks to report them. Called off the dataplane, while
    /// the owning worker may still be counting: read fields written by the dataplane with <see cref="Volatile"/>.
    /// </summary>
    protected internal virtual void AddOwnCounters(CounterValues snapshot)
    {
        for (int r = 0; r < ReceiveDrops.Length; r++)
        {
            long dropped = Volatile.Read(ref ReceiveDrops[r]);
            snapshot.AddDrop((DropReason)r, dropped);
            snapshot.Add(Counter.RxFrames, dropped);
        }
    }

    /// <summary>
    /// True when the port takes frames with offload metadata as they are (<see cref="Packet.Offload"/>: a checksum
    /// still to fill, a GSO super-frame of up to 64 KiB) and carries the metadata on, as a TAP opened with a virtio-net
    /// header does. False (the default): the engine fills pending checksums and cuts super-frames into segments before
    /// <see cref="Transmit"/>, so the port only ever sees complete frames. Either way a port may fill
    /// <see cref="Packet.Offload"/> on frames it receives (check it with <see cref="Offloads.OffloadInfo.IsValidFor"/>);
    /// metadata that does not fit its frame ends as <see cref="DropReason.TxError"/> at ports without offloads.
    /// </summary>
    public virtual bool AcceptsOffloads => false;

    /// <summary>
    /// File descriptor that becomes readable when frames are waiting, or -1 when the port signals with
    /// <see cref="RequestPoll"/> instead.
    /// </summary>
    protected internal virtual int PollFd => -1;

    /// <summary>
    /// The owning worker found nothing to do for a while and is about to sleep on <see cref="PollFd"/>: arm whatever
    /// makes it readable when frames arrive (a port whose peer suppresses its notifications while the ring is polled,
    /// as vhost-user does, asks for them again here, not on every empty <see cref="Receive"/>). Called on the worker
    /// thread after it announced the sleep; it then calls <see cref="Receive"/> once more before blocking, so a frame
    /// that arrived before the arming is not missed. Never blocks. The default does nothing.
    /// </summary>
    protected internal virtual void PrepareToSleep()
    {
    }

    /// <summary>
    /// True when an empty <see cref="Receive"/> reads shared memory only (a netdev port's TPACKET_V2 ring), no system
    /// call: then the owning worker keeps polling for a while after its last frame (<c>FASTBRIDGE_IDLE_SPIN_US</c>), as
    /// for TAP reads through its io_uring, instead of sleeping after a few passes, so a reply that comes back within
    /// that time finds it awake. False (the default) for ports whose empty receive is a system call.
    /// </summary>
    internal virtual bool ReceivesFromMemory => false;

    /// <summary>
    /// True when the MACs learned on the port are forgotten at every change of its state (the housekeeper does it within a
    /// second: it went down, or went down and came back), not only when it is gone: a port whose peer can leave and come
    /// back as another machine (a vhost-user VM, a stream socket's next client).
    /// </summary>
    protected internal virtual bool ForgetsStationsWhenDown => false;

    /// <summary>
    /// True when <see cref="Transmit"/> may run on several threads at once, each call independent of the others (TAP
    /// writes are independent system calls). Then the worker that switched a frame transmits it itself — run to
    /// completion, no ring hand-off and no wake-up of the port's owner — which halves the latency of a frame whose
    /// ingress and egress ports belong to different workers. False (the default) keeps the single-thread contract.
    /// </summary>
    protected internal virtual bool ConcurrentTransmit => false;

    /// <summary>
    /// Receives up to <c>burst.Length</c> frames into buffers rented from <paramref name="pool"/>; returns how many.
    /// Returns 0 when nothing is waiting; never blocks.
    /// </summary>
    protected internal abstract int Receive(PacketPool pool, Span<Packet> burst);

    /// <summary>
    /// Transmits <paramref name="frames"/> in order. For each frame, sets <c>outcome[i]</c> to
    /// <see cref="DropReason.None"/> when it left the port, else to why it did not. The engine releases every frame after
    /// the call; a port that keeps one (to send later) calls <see cref="Packet.AddRef"/> on it first.
    /// </summary>
    protected internal abstract void Transmit(ReadOnlySpan<Packet> frames, Span<DropReason> outcome);

    /// <summary>The frame buffers of the bridge the port belongs to; null before it is added.</summary>
    protected PacketPool? Pool { get; private set; }

    /// <summary>
    /// The MAC table of the bridge the port belongs to (null before it is added): a port kind that keeps a table of its
    /// own (a VXLAN port's remote VTEPs) ages it with the bridge's aging time and clock.
    /// </summary>
    internal Switching.MacTable? Stations { get; private set; }

    /// <summary>Called by the engine when the port joins a bridge; <paramref name="wake"/> makes its worker poll it.</summary>
    internal void Attach(PacketPool pool, Action wake, Switching.MacTable? stations = null)
    {
        Pool = pool;
        _wake = wake;
        Stations = stations;
        OnAttached();
    }

    /// <summary>Called once the port has its <see cref="Pool"/> (it joined a bridge): a port that starts I/O of its own starts it here.</summary>
    protected virtual void OnAttached()
    {
    }

    internal void Detach() => _wake = null;

    /// <summary>
    /// Called by the owning worker, on its thread, when it takes the port: a port that reads through the worker's own
    /// resources (a TAP port's reads armed in the worker's io_uring) sets them up here.
    /// </summary>
    internal virtual void BindReceive()
    {
    }

    /// <summary>Called by the owning worker, on its thread, when it lets the port go or stops: undoes <see cref="BindReceive"/>.</summary>
    internal virtual void UnbindReceive()
    {
    }

    /// <summary>Tells the owning worker that frames are waiting (for ports without a <see cref="PollFd"/>).</summary>
    protected void RequestPoll() => _wake?.Invoke();

    /// <summary>
    /// Records a state change; lock-free and allocation-free when the state does not change (every call but the rare
    /// one at a fault or a recovery). Gone is final.
    /// </summary>
    /// <remarks>
    /// Thread-safety: called from the receiving worker, from any transmitting worker (<see cref="ConcurrentTransmit"/>)
    /// and from Dispose, possibly at once. A change is check-then-write of three fields, so changes are serialized by a
    /// lock private to the port, taken only when the state really changes: two racing changes cannot undo Gone or leave
    /// the reason of one with the state of the other. Writes go reason, state, version; a reader that reads version,
    /// then state, then reason (the housekeeper) sees at least the change that version counts, and a later change bumps
    /// the version again, so it is logged on the next look.
    /// </remarks>
    protected void SetState(PortState state, string? reason)
    {
        PortState current = _state;
        if (current == state || current == PortState.Gone)
        {
            return;
        }

        lock (_stateChange)
        {
            current = _state;
            if (current == state || current == PortState.Gone)
            {
                return;
            }

            _stateReason = reason;
            _state = state;
            Interlocked.Increment(ref _stateVersion);
        }
    }

    public override string ToString() => $"{Name} ({_state})";

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
    }
}
