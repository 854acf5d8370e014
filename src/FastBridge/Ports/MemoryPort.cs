using FastBridge.Buffers;
using FastBridge.Diagnostics;
using FastBridge.Rings;

namespace FastBridge.Ports;

/// <summary>
/// A port whose "wire" is this object: a program injects frames into the switch with <see cref="TryInject"/> and
/// takes the frames the switch sent it with <see cref="TryTake(Span{byte}, out int)"/>. For tests (OVS's dummy
/// netdev plays the same role) and for embedding programs that carry frames themselves.
/// </summary>
/// <remarks>
/// Design: two single-producer single-consumer rings of packet indices, one per direction; frames stay in the bridge's
/// pool, so a frame is copied once on the way in (into a pool buffer) and once on the way out (or not at all, with
/// <see cref="TryTake(out Packet)"/>). Transmit keeps a reference instead of copying.
/// Thread-safety: one thread at a time injects and one thread at a time takes; the bridge's worker is the other end.
/// Performance: no allocation per frame on either side.
/// </remarks>
public sealed class MemoryPort : Port
{
    private readonly SpscRing _toSwitch;
    private readonly SpscRing _fromSwitch;
    private long _injected;
    private long _taken;

    /// <param name="name">Port name, unique in its bridge.</param>
    /// <param name="queueSize">Frames each direction holds (a power of two).</param>
    /// <param name="discardTransmitted">Count and release what the switch sends instead of queueing it (a sink).</param>
    public MemoryPort(string name, int queueSize = 1024, bool discardTransmitted = false)
        : base(name)
    {
        _toSwitch = new SpscRing(queueSize);
        _fromSwitch = new SpscRing(queueSize);
        DiscardTransmitted = discardTransmitted;
    }

    public bool DiscardTransmitted { get; }

    public override string Kind => "memory";

    /// <summary>Frames injected so far.</summary>
    public long Injected => Volatile.Read(ref _injected);

    /// <summary>Frames the switch sent out of this port so far (taken or discarded).</summary>
    public long Taken => Volatile.Read(ref _taken);

    /// <summary>Frames sent by the switch and not taken yet.</summary>
    public int Pending => _fromSwitch.Count;

    /// <summary>
    /// Copies <paramref name="frame"/> into a pool buffer and queues it towards the switch. False when the port is not
    /// in a bridge, the queue is full, the pool is empty or the frame is longer than a buffer.
    /// </summary>
    public bool TryInject(ReadOnlySpan<byte> frame)
    {
        PacketPool? pool = Pool;
        if (pool is null || State == PortState.Gone || !pool.TryRentCopy(frame, out Packet packet))
        {
            return false;
        }

        if (!_toSwitch.TryEnqueue(packet.Index))
        {
            packet.Release();
            return false;
        }

        Volatile.Write(ref _injected, _injected + 1);
        Interlocked.MemoryBarrier(); // pairs with the worker's fence before it sleeps
        RequestPoll();
        return true;
    }

    /// <summary>Takes the next frame the switch sent, copying it into <paramref name="into"/>.</summary>
    public bool TryTake(Span<byte> into, out int length)
    {
        if (!TryTake(out Packet packet))
        {
            length = 0;
            return false;
        }

        length = packet.Length;
        bool fits = length <= into.Length;
        if (fits)
        {
            packet.Span.CopyTo(into);
        }

        packet.Release();
        return fits;
    }

    /// <summary>Takes the next frame the switch sent without copying; the caller must <see cref="Packet.Release"/> it.</summary>
    public bool TryTake(out Packet packet)
    {
        PacketPool? pool = Pool;
        if (pool is null || !_fromSwitch.TryDequeue(out int index))
        {
            packet = default;
            return false;
        }

        Volatile.Write(ref _taken, _taken + 1);
        packet = pool.FromIndex(index);
        return true;
    }

    /// <summary>Takes the next frame as a new array (convenient in tests; allocates).</summary>
    public byte[]? TakeArray()
    {
        if (!TryTake(out Packet packet))
        {
            return null;
        }

        byte[] copy = packet.Span.ToArray();
        packet.Release();
        return copy;
    }

    /// <summary>Marks the port's "device" gone, as a vanished TAP would be (for tests of fault handling).</summary>
    public void SimulateGone() => SetState(PortState.Gone, "simulated device loss");

    protected internal override int Receive(PacketPool pool, Span<Packet> burst)
    {
        int n = 0;
        while (n < burst.Length && _toSwitch.TryDequeue(out int index))
        {
            burst[n++] = pool.FromIndex(index);
        }

        return n;
    }

    protected internal override void Transmit(ReadOnlySpan<Packet> frames, Span<DropReason> outcome)
    {
        for (int i = 0; i < frames.Length; i++)
        {
            if (State == PortState.Gone)
            {
                outcome[i] = DropReason.PortDown;
                continue;
            }

            if (DiscardTransmitted)
            {
                Volatile.Write(ref _taken, _taken + 1);
                continue;
            }

            frames[i].AddRef();
            if (!_fromSwitch.TryEnqueue(frames[i].Index))
            {
                frames[i].Release();
                outcome[i] = DropReason.RingFull;
            }
        }
    }

    protected override void Dispose(bool disposing)
    {
        PacketPool? pool = Pool;
        if (pool is not null)
        {
            while (_toSwitch.TryDequeue(out int index))
            {
                pool.Release(index);
            }

            while (_fromSwitch.TryDequeue(out int index))
            {
                pool.Release(index);
            }
        }

        base.Dispose(disposing);
    }
}
