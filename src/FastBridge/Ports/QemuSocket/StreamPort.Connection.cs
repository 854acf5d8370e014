using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text;
using FastBridge.Buffers;
using FastBridge.Diagnostics;
using Microsoft.Extensions.Logging;

namespace FastBridge.Ports.QemuSocket;

/// <summary>The socket side: the listening socket, the accept loop and one connection's reader and writer loops.</summary>
public sealed partial class StreamPort
{
    private const string ReasonWaiting = "no peer connected";
    private const int BackpressureRetryMs = 5;
    private const int WriteBatch = 256;

    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private Task _acceptLoop = Task.CompletedTask;
    private Task _connection = Task.CompletedTask;
    private Socket? _peer;
    private int _disposed;

    /// <summary>
    /// Creates the socket at <paramref name="path"/> (a stale socket file is replaced, a live one refused), gives it
    /// mode 0600 or 0660 with <see cref="StreamPortOptions.Group"/>, and starts accepting. The port is down until a peer
    /// connects. Throws IOException with the reason when the socket cannot be made.
    /// </summary>
    public static StreamPort Listen(string name, string path, StreamPortOptions? options = null)
    {
        options ??= StreamPortOptions.Default;
        string full = Path.GetFullPath(path);
        if (Encoding.UTF8.GetByteCount(full) > 107)
        {
            throw new IOException($"socket path '{full}' is too long for a unix socket (107 bytes at most)");
        }

        ClaimPath(full);
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(full));
            SocketFileAccess.Apply(full, options.Group); // before listen(): nobody can connect with the wrong mode
            listener.Listen(4);
        }
        catch (Exception e) when (e is SocketException or IOException or UnauthorizedAccessException)
        {
            listener.Dispose();
            TryDelete(full);
            throw new IOException($"cannot listen on '{full}': {e.Message}", e);
        }

        return new StreamPort(name, full, listener, options); // accepts once it joins a bridge (OnAttached)
    }

    /// <summary>Starts accepting: only now are there pool buffers to read into. Peers that came earlier wait in the backlog.</summary>
    protected override void OnAttached()
    {
        if (Volatile.Read(ref _disposed) == 0 && _acceptLoop.IsCompleted)
        {
            _acceptLoop = AcceptLoopAsync();
        }
    }

    private static void ClaimPath(string path)
    {
        if (!File.Exists(path))
        {
            return;
        }

        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException)
        {
            File.Delete(path); // nobody listens: a leftover of a switch that stopped
            return;
        }

        throw new IOException($"socket '{path}' is in use by another process");
    }

    private async Task AcceptLoopAsync()
    {
        CancellationToken stop = _stop.Token;
        while (!stop.IsCancellationRequested)
        {
            Socket peer;
            try
            {
                peer = await _listener.AcceptAsync(stop).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            if (!_connection.IsCompleted && Volatile.Read(ref _peer) is not null)
            {
                Interlocked.Increment(ref _refused);
                _log.LogWarning("port {Port}: connection on {Path} refused: a peer is already connected (one at a time)", Name, SocketPath);
                peer.Dispose();
                continue;
            }

            await _connection.ConfigureAwait(false); // a closing connection finishes its teardown first
            Interlocked.Increment(ref _connections);
            _connection = RunConnectionAsync(peer);
        }
    }

    /// <summary>One peer, from accept to close: both loops, then the teardown and the reason.</summary>
    private async Task RunConnectionAsync(Socket peer)
    {
        Volatile.Write(ref _peer, peer);
        using var ends = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        var stream = new NetworkStream(peer, ownsSocket: true);
        PipeReader reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 65536, minimumReadSize: 16384, leaveOpen: true));
        PipeWriter writer = PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 65536, leaveOpen: true));
        SetState(PortState.Up, "peer connected");
        _log.LogInformation("port {Port}: peer connected on {Path}", Name, SocketPath);
        Task<string> writing = WriteLoopAsync(writer, ends.Token);
        string reason = await ReadLoopAsync(reader, ends.Token).ConfigureAwait(false);
        Volatile.Write(ref _peer, null); // from now on a new peer waits for this teardown instead of being refused
        SetState(PortState.LinkDown, reason);
        ends.Cancel();
        WakeWriterToStop();
        string writeReason = await writing.ConfigureAwait(false);
        await reader.CompleteAsync().ConfigureAwait(false);
        await writer.CompleteAsync().ConfigureAwait(false);
        await stream.DisposeAsync().ConfigureAwait(false);
        DrainTransmitRing();
        _log.LogWarning("port {Port}: peer on {Path} disconnected: {Reason}{Write}", Name, SocketPath, reason,
            writeReason.Length > 0 ? $" (writer: {writeReason})" : "");
    }

    /// <summary>Frames in, until the stream ends or breaks the protocol; returns why it stopped.</summary>
    private async Task<string> ReadLoopAsync(PipeReader reader, CancellationToken ends)
    {
        PacketPool pool = Pool!;
        try
        {
            while (true)
            {
                ReadResult result = await reader.ReadAsync(ends).ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = result.Buffer;
                bool blocked = false;
                int queued = 0;
                string? error = null;
                while (true)
                {
                    StreamFrameStatus status = StreamFraming.Peek(buffer, out int length);
                    if (status == StreamFrameStatus.BadLength)
                    {
                        error = $"bad frame length {length} (must be 1 to {StreamFraming.MaxFrameLength})";
                        break;
                    }

                    if (status == StreamFrameStatus.NeedMore)
                    {
                        break;
                    }

                    if (_rx.Count >= _rx.Capacity || !pool.TryRent(length, out Packet frame))
                    {
                        if (length > PacketPool.SmallBufferSize && pool.LargeCount == 0)
                        {
                            CountReceiveDrop(DropReason.NoBuffer); // never fits this pool: skip it, counted
                            buffer = buffer.Slice(StreamFraming.HeaderSize + length);
                            continue;
                        }

                        blocked = true;
                        break;
                    }

                    StreamFraming.FrameOf(buffer, length).CopyTo(frame.Buffer);
                    frame.SetLength(length);
                    _rx.TryEnqueue(frame.Index); // room checked above; this loop is the ring's only producer
                    queued++;
                    buffer = buffer.Slice(StreamFraming.HeaderSize + length);
                }

                if (queued > 0)
                {
                    Interlocked.MemoryBarrier(); // pairs with the worker's fence before it sleeps
                    RequestPoll();
                }

                if (error is not null)
                {
                    CountReceiveDrop(DropReason.BadFraming);
                    reader.AdvanceTo(buffer.Start);
                    return error;
                }

                if (result.IsCompleted && !blocked)
                {
                    reader.AdvanceTo(buffer.End);
                    if (buffer.Length > 0)
                    {
                        CountReceiveDrop(DropReason.BadFraming);
                        return $"stream ended inside a frame ({buffer.Length} bytes left over)";
                    }

                    return "peer closed the connection";
                }

                if (blocked)
                {
                    reader.AdvanceTo(buffer.Start);
                    await WaitForRoomAsync(ends).ConfigureAwait(false);
                    continue;
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        catch (OperationCanceledException)
        {
            return _stop.IsCancellationRequested ? "port removed" : "writer failed";
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            return $"read failed: {e.Message}";
        }
    }

    /// <summary>The receive ring is full or the pool dry: wait until the worker takes frames (or a short retry for the pool).</summary>
    private async Task WaitForRoomAsync(CancellationToken ends)
    {
        Volatile.Write(ref _readerWaiting, 1);
        Interlocked.MemoryBarrier();
        if (_rx.Count < _rx.Capacity && Interlocked.Exchange(ref _readerWaiting, 0) != 0)
        {
            await Task.Delay(BackpressureRetryMs, ends).ConfigureAwait(false); // the ring has room: the pool was dry
            return;
        }

        await _rxRoom.WaitAsync().ConfigureAwait(false); // the worker sets it when it took frames; Dispose sets it too
        Interlocked.Exchange(ref _readerWaiting, 0);
        ends.ThrowIfCancellationRequested();
    }

    /// <summary>Frames out, until the connection ends; returns an error text, or "" when it was told to stop.</summary>
    private async Task<string> WriteLoopAsync(PipeWriter writer, CancellationToken ends)
    {
        PacketPool pool = Pool!;
        long pendingFrames = 0;
        long pendingBytes = 0;
        try
        {
            while (!ends.IsCancellationRequested)
            {
                int n = 0;
                while (n < WriteBatch && _tx.TryDequeue(out int index))
                {
                    Packet frame = pool.FromIndex(index);
                    int length = frame.Length;
                    Span<byte> into = writer.GetSpan(StreamFraming.HeaderSize + length);
                    StreamFraming.WriteHeader(into, length);
                    frame.Span.CopyTo(into[StreamFraming.HeaderSize..]);
                    writer.Advance(StreamFraming.HeaderSize + length);
                    frame.Release();
                    pendingFrames++;
                    pendingBytes += length;
                    n++;
                }

                if (n > 0)
                {
                    FlushResult flushed = await writer.FlushAsync(ends).ConfigureAwait(false);
                    if (flushed.IsCompleted)
                    {
                        break;
                    }

                    pendingFrames = 0;
                    pendingBytes = 0;
                    continue;
                }

                Volatile.Write(ref _writerSleeping, 1);
                Interlocked.MemoryBarrier();
                if (!_tx.IsEmpty || ends.IsCancellationRequested)
                {
                    Interlocked.Exchange(ref _writerSleeping, 0);
                    continue;
                }

                await _txReady.WaitAsync().ConfigureAwait(false); // set by Transmit, or to stop (WakeWriterToStop)
            }

            return "";
        }
        catch (OperationCanceledException)
        {
            return "";
        }
        catch (Exception e) when (e is IOException or SocketException or InvalidOperationException)
        {
            return $"write failed: {e.Message}";
        }
        finally
        {
            Interlocked.Exchange(ref _writerSleeping, 0);
            CountLost(pendingFrames, pendingBytes);
            if (!ends.IsCancellationRequested)
            {
                Volatile.Read(ref _peer)?.Shutdown(SocketShutdown.Both); // the reader sees the end and tears down
            }
        }
    }

    private void WakeWriterToStop()
    {
        Interlocked.Exchange(ref _writerSleeping, 0);
        _txReady.Set(); // at most one spurious wake of the next connection's writer, which looks and sleeps again
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        SetState(PortState.Gone, "port disposed");
        if (disposing)
        {
            _stop.Cancel();
            _rxRoom.Set();
            _txReady.Set();
            _listener.Dispose();
            try
            {
                _acceptLoop.Wait(TimeSpan.FromSeconds(5));
                _connection.Wait(TimeSpan.FromSeconds(5));
            }
            catch (AggregateException)
            {
            }

            TryDelete(SocketPath);
            DrainTransmitRing();
            DrainReceiveRing();
            _stop.Dispose();
        }

        base.Dispose(disposing);
    }
}
