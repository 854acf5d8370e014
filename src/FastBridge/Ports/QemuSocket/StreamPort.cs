using System.Net.Sockets;
using FastBridge.Buffers;
using FastBridge.Diagnostics;
using FastBridge.Rings;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FastBridge.Ports.QemuSocket;

/// <summary>
/// A port on a unix stream socket the switch listens on, for QEMU's
/// <c>-netdev stream,id=n0,server=off,addr.type=unix,addr.path=PATH</c>: each frame is preceded by its length
/// (<see cref="StreamFraming"/>). One peer at a time; a peer that goes away leaves the port down until the next one
/// connects. Create one with <see cref="Listen"/>.
/// </summary>
/// <remarks>
/// <para>
/// Design: the socket side and the dataplane meet only at two single-producer single-consumer rings of pool packet
/// indices. The socket side is System.IO.Pipelines: per connection a reader loop (<c>PipeReader</c> over the socket)
/// cuts the byte stream into frames — partial reads, several frames per read and a frame split across reads are the
/// pipe's business — copies each frame into a pool buffer and queues it on the receive ring; a writer loop takes
/// frames off the transmit ring, writes length and bytes into a <c>PipeWriter</c> and flushes once per batch (one
/// send for many frames).
/// </para>
/// <para>
/// Thread-safety, who does what: <see cref="Receive"/> and <see cref="Transmit"/> run on the owning worker only (no
/// <see cref="Port.ConcurrentTransmit"/>): Receive dequeues the receive ring, Transmit enqueues the transmit ring; the
/// worker never touches the socket, never waits and never allocates. The reader and writer loops are async loops on the
/// thread pool, one pair per connection, the reader the receive ring's only producer and the writer the transmit ring's
/// only consumer; a new connection starts its loops only after the previous pair has finished. The accept loop (also
/// async) owns the listening socket and the connection's lifetime. Port state changes go through
/// <see cref="Port.SetState"/>, safe from any thread.
/// </para>
/// <para>
/// Waiting, in both directions without a lock: the reader wakes the worker with <see cref="Port.RequestPoll"/> once per
/// batch (the worker's own eventfd handshake: one write at most while it sleeps, none while it runs), so the port needs
/// no <see cref="Port.PollFd"/>. The writer, when the transmit ring is empty, announces that it sleeps, looks once more,
/// then awaits an <see cref="AsyncSignal"/>; Transmit sets it only if the writer announced sleep (a Dekker handshake with full fences
/// on both sides), so a busy writer costs the worker one fence per burst.
/// </para>
/// <para>
/// Backpressure and drops: a full transmit ring is a counted drop (<see cref="DropReason.RingFull"/>), never a wait; the
/// writer drains it as fast as the socket takes bytes (FlushAsync awaits a full socket buffer). A full receive ring or an
/// empty pool stops the reader: it leaves the bytes in the pipe and the socket, so the peer (QEMU stops its queue)
/// slows down instead of losing frames, and the worker signals the reader when it made room.
/// A bad length (0, over 65,535) or a frame cut short by the end of the stream is one <see cref="DropReason.BadFraming"/>
/// drop, a logged reason, and the peer disconnected; the other ports never notice.
/// </para>
/// <para>
/// Faults: the port is <see cref="PortState.LinkDown"/> while no peer is connected (frames towards it count as
/// <see cref="DropReason.PortDown"/>) and its learned MACs are forgotten at every change
/// (<see cref="Port.ForgetsStationsWhenDown"/>); it is <see cref="PortState.Up"/> while one is. A second connection
/// while one is active is closed at once, logged. Frames the transmit ring or the pipe still held when a peer went away
/// were counted as transmitted by the worker; they are moved to port-down drops (<see cref="AddOwnCounters"/>), so the
/// accounting stays exact.
/// </para>
/// <para>
/// Performance: Receive and Transmit allocate nothing per frame (StreamPortTests measure it on the worker thread);
/// each frame is copied once each way, between the pipe's buffers and a pool buffer.
/// </para>
/// </remarks>
public sealed partial class StreamPort : Port
{
    private readonly SpscRing _rx;
    private readonly SpscRing _tx;
    private readonly AsyncSignal _rxRoom = new();
    private readonly AsyncSignal _txReady = new();
    private readonly ILogger _log;
    private int _readerWaiting;
    private int _writerSleeping;

    private long _txLostFrames;
    private long _txLostBytes;
    private long _connections;
    private long _refused;

    private StreamPort(string name, string path, Socket listener, StreamPortOptions options)
        : base(name)
    {
        SocketPath = path;
        _listener = listener;
        _rx = new SpscRing(options.RingSize);
        _tx = new SpscRing(options.RingSize);
        _log = options.Log ?? NullLogger.Instance;
        SetState(PortState.LinkDown, ReasonWaiting);
    }

    /// <summary>The socket the port listens on.</summary>
    public string SocketPath { get; }

    /// <summary>Peers accepted so far.</summary>
    public long Connections => Interlocked.Read(ref _connections);

    /// <summary>Connections closed at once because a peer was already connected.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    protected internal override bool ForgetsStationsWhenDown => true;

    public override string Kind => "stream";

    protected internal override void Describe(PortDescription description) => description.Device = SocketPath; // up while a peer is connected

    protected internal override int Receive(PacketPool pool, Span<Packet> burst)
    {
        int n = 0;
        while (n < burst.Length && _rx.TryDequeue(out int index))
        {
            burst[n++] = pool.FromIndex(index);
        }

        if (n > 0 && Volatile.Read(ref _readerWaiting) != 0 && Interlocked.Exchange(ref _readerWaiting, 0) != 0)
        {
            _rxRoom.Set(); // the reader stopped on a full ring: there is room again
        }

        return n;
    }

    protected internal override void Transmit(ReadOnlySpan<Packet> frames, Span<DropReason> outcome)
    {
        if (State != PortState.Up)
        {
            outcome[..frames.Length].Fill(DropReason.PortDown);
            return;
        }

        bool queued = false;
        for (int i = 0; i < frames.Length; i++)
        {
            Packet frame = frames[i];
            if (frame.Length > StreamFraming.MaxFrameLength)
            {
                outcome[i] = DropReason.TxError; // the framing cannot say it (the engine segments super-frames before)
                continue;
            }

            frame.AddRef();
            if (!_tx.TryEnqueue(frame.Index))
            {
                frame.Release();
                outcome[i] = DropReason.RingFull;
                continue;
            }

            queued = true;
        }

        if (queued)
        {
            WakeWriter();
        }
    }

    /// <summary>Producer side of the writer's sleep handshake (pairs with the fence in the writer loop).</summary>
    private void WakeWriter()
    {
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _writerSleeping) != 0 && Interlocked.Exchange(ref _writerSleeping, 0) != 0)
        {
            _txReady.Set();
        }
    }

    /// <summary>Also moves frames lost at a disconnect from tx-frames to port-down drops (the worker counted them as sent).</summary>
    protected internal override void AddOwnCounters(CounterValues counters)
    {
        base.AddOwnCounters(counters);
        long lost = Interlocked.Read(ref _txLostFrames);
        counters.Add(Counter.TxFrames, -lost);
        counters.Add(Counter.TxBytes, -Interlocked.Read(ref _txLostBytes));
        counters.AddDrop(DropReason.PortDown, lost);
    }

    /// <summary>Releases what is left in the transmit ring, counting it as lost (the worker counted it as sent).</summary>
    private void DrainTransmitRing()
    {
        PacketPool? pool = Pool;
        while (pool is not null && _tx.TryDequeue(out int index))
        {
            Packet frame = pool.FromIndex(index);
            CountLost(1, frame.Length);
            frame.Release();
        }
    }

    private void CountLost(long frames, long bytes)
    {
        Interlocked.Add(ref _txLostFrames, frames);
        Interlocked.Add(ref _txLostBytes, bytes);
    }

    private void DrainReceiveRing()
    {
        PacketPool? pool = Pool;
        while (pool is not null && _rx.TryDequeue(out int index))
        {
            pool.Release(index);
        }
    }
}
