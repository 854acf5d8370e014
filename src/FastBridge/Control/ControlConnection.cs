using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text.Json;
using FastBridge.Interop;
using Microsoft.Extensions.Logging;

namespace FastBridge.Control;

/// <summary>
/// One client of the control socket: its own async loop that reads request lines and writes one response line each.
/// </summary>
/// <remarks>
/// Design: two loops joined by a <see cref="Pipe"/>. The fill loop waits for the socket to become readable (a
/// zero-byte receive), then reads with recvmsg so that descriptors sent with a request (SCM_RIGHTS) are collected
/// before its bytes reach the pipe; the process loop cuts the pipe's bytes into lines, answers each, and writes the
/// answers through a <see cref="PipeWriter"/> over the socket. Limits: a line longer than
/// <see cref="ControlServerOptions.MaxRequestBytes"/> gets an error and is skipped to its newline, a connection that
/// completes no request for <see cref="ControlServerOptions.IdleTimeout"/> is closed (so is one that leaves its
/// responses unread that long), and a token bucket (<see cref="ControlRateLimit"/>) answers requests beyond
/// <see cref="ControlServerOptions.RequestsPerSecond"/> with an error. The idle clock is restarted by the process loop,
/// on each complete non-blank line, not by the fill loop on any byte: blank lines or a line trickled in byte by byte
/// would otherwise hold a connection slot forever. A client that vanishes mid-request only ends its own loops; its partial line is dropped.
/// Thread-safety: the two loops share only the pipe and the descriptor list (locked).
/// </remarks>
internal sealed class ControlConnection
{
    private static readonly byte[] s_newline = "\n"u8.ToArray();

    private readonly ControlServer _server;
    private readonly Socket _socket;
    private readonly ControlServerOptions _options;
    private readonly ILogger _log;
    private readonly Pipe _input;
    private readonly PipeWriter _output;
    private readonly Utf8JsonWriter _json;
    private readonly List<int> _fds = [];
    private readonly ControlLineFramer _framer;
    private readonly ControlRateLimit _rateLimit;
    private readonly CancellationTokenSource _idle;

    public ControlConnection(ControlServer server, Socket socket, ControlServerOptions options, ILogger log)
    {
        _server = server;
        _socket = socket;
        _options = options;
        _log = log;
        Peer = PeerCredentials.Of(socket);
        MayChangeState = ControlServer.MayChangeState(Peer.Uid, server.OwnerUid);
        long pause = options.MaxRequestBytes + (64L * 1024);
        _input = new Pipe(new PipeOptions(pauseWriterThreshold: pause, resumeWriterThreshold: pause / 2, useSynchronizationContext: false));
        _output = PipeWriter.Create(new NetworkStream(socket, ownsSocket: false), new StreamPipeWriterOptions(leaveOpen: true));
        _json = new Utf8JsonWriter(_output, ControlJson.WriterOptions);
        _framer = new ControlLineFramer(options.MaxRequestBytes);
        _rateLimit = new ControlRateLimit(options.RequestsPerSecond, options.Time);
        _idle = new CancellationTokenSource(options.IdleTimeout, options.Time);
    }

    public PeerCredentials Peer { get; }

    public bool MayChangeState { get; }

    public async Task RunAsync(CancellationToken stopping)
    {
        using var done = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        Task fill = FillAsync(done.Token);
        try
        {
            await ProcessAsync(done.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            _log.LogDebug("control client pid {Pid}: {Error}", Peer.Pid, e.Message);
        }
        finally
        {
            done.Cancel();
            await fill.ConfigureAwait(false);
            await _input.Reader.CompleteAsync().ConfigureAwait(false);
            await _output.CompleteAsync().ConfigureAwait(false);
            _json.Dispose();
            _socket.Dispose();
            _idle.Dispose();
            lock (_fds)
            {
                foreach (int fd in _fds)
                {
                    Libc.Close(fd);
                }

                _fds.Clear();
            }
        }
    }

    /// <summary>Moves bytes (and descriptors) from the socket into the pipe until end of stream, idle timeout or stop.</summary>
    private async Task FillAsync(CancellationToken done)
    {
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(done, _idle.Token);
        PipeWriter writer = _input.Writer;
        Exception? failure = null;
        try
        {
            while (true)
            {
                await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, idle.Token).ConfigureAwait(false);
                Memory<byte> memory = writer.GetMemory(4096);
                int received = Receive(memory.Span, out int errno);
                if (received < 0)
                {
                    if (errno == Errno.EAGAIN)
                    {
                        continue;
                    }

                    failure = new IOException($"recvmsg: {Errno.Describe(errno)}");
                    break;
                }

                if (received == 0)
                {
                    break; // the client closed its end
                }

                writer.Advance(received);
                FlushResult flushed = await writer.FlushAsync(done).ConfigureAwait(false);
                if (flushed.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (!done.IsCancellationRequested)
        {
            _log.LogDebug("control client pid {Pid} completed no request for {Timeout}: closing", Peer.Pid, _options.IdleTimeout);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // stopping, or the socket went away
        }

        await writer.CompleteAsync(failure).ConfigureAwait(false);
    }

    private int Receive(Span<byte> buffer, out int errno)
    {
        lock (_fds)
        {
            int received = UnixFdPassing.Receive(_socket, buffer, _fds, out errno);
            while (_fds.Count > UnixFdPassing.MaxFdsPerRead)
            {
                Libc.Close(_fds[0]); // descriptors nobody asked for: keep only the latest few
                _fds.RemoveAt(0);
            }

            return received;
        }
    }

    private async Task ProcessAsync(CancellationToken done)
    {
        PipeReader reader = _input.Reader;
        while (true)
        {
            ReadResult result;
            try
            {
                result = await reader.ReadAsync(done).ConfigureAwait(false);
            }
            catch (IOException)
            {
                return; // the fill loop failed: the socket is broken
            }

            ReadOnlySequence<byte> buffer = result.Buffer;
            while (true)
            {
                ControlLineFramer.Cut cut = _framer.Next(ref buffer, out ReadOnlySequence<byte> line);
                if (cut == ControlLineFramer.Cut.NeedMore)
                {
                    break;
                }

                if (cut == ControlLineFramer.Cut.TooLong)
                {
                    await RespondAsync(TooLong(_options.MaxRequestBytes), done).ConfigureAwait(false);
                    continue;
                }

                if (IsBlank(line))
                {
                    continue; // no response, and not activity: the idle clock keeps running
                }

                _idle.CancelAfter(_options.IdleTimeout); // a complete request: the connection is in use
                if (await HandleAsync(line, done).ConfigureAwait(false) is { } capture)
                {
                    reader.AdvanceTo(buffer.Start); // the connection is now a capture's frame stream, until it ends
                    _idle.CancelAfter(Timeout.InfiniteTimeSpan);
                    await CaptureStream.RunAsync(_server.Bridge, capture, _socket, reader, _log, done).ConfigureAwait(false);
                    return;
                }
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                return; // whatever is left is a request cut off by the client: dropped
            }
        }
    }

    /// <summary>The answer to a line longer than <paramref name="maxRequestBytes"/>.</summary>
    internal static ControlResponse TooLong(int maxRequestBytes) => ControlResponse.Failure($"request longer than {maxRequestBytes} bytes");

    /// <summary>Answers one request; returns the capture it started (a <c>capture</c> request that succeeded), else null.</summary>
    private async ValueTask<Capture.CaptureSession?> HandleAsync(ReadOnlySequence<byte> line, CancellationToken done)
    {
        if (!_rateLimit.TryTake())
        {
            await RespondAsync(_rateLimit.Refusal(), done).ConfigureAwait(false);
            return null;
        }

        if (!TryParse(line, out ControlRequest? request, out ControlResponse? invalid))
        {
            await RespondAsync(invalid, done).ConfigureAwait(false);
            return null;
        }

        if (request.Verb == "capture")
        {
            (Capture.CaptureSession? capture, ControlResponse started) = _server.StartCapture(this, request);
            await RespondAsync(started, done).ConfigureAwait(false);
            return capture;
        }

        var fds = new List<int>();
        if (request.Fd == true)
        {
            lock (_fds)
            {
                // a multi-queue TAP's queue fds ("queues": N) came together, in queue order
                int count = Math.Min(Math.Clamp(request.Queues ?? 1, 1, UnixFdPassing.MaxFdsPerRead), _fds.Count);
                fds.AddRange(_fds.GetRange(0, count));
                _fds.RemoveRange(0, count);
            }
        }

        ControlResponse response;
        try
        {
            response = _server.Execute(this, request, fds);
        }
        finally
        {
            foreach (int fd in fds)
            {
                Libc.Close(fd);
            }
        }

        await RespondAsync(response, done).ConfigureAwait(false);
        return null;
    }

    /// <summary>Writes one response line; a client that leaves responses unread for the idle timeout is dropped.</summary>
    private async ValueTask RespondAsync(ControlResponse response, CancellationToken done)
    {
        WriteResponse(_json, _output, response);
        using var unread = new CancellationTokenSource(_options.IdleTimeout, _options.Time);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(done, unread.Token);
        FlushResult flushed = await _output.FlushAsync(timeout.Token).ConfigureAwait(false);
        if (flushed.IsCompleted)
        {
            throw new IOException("the client stopped reading");
        }
    }

    /// <summary>
    /// Parses one request line (no newline, at most the size limit): the request, or the error response that answers
    /// it. Any bytes: invalid UTF-8 or JSON, a non-object, unknown members all end as an error response, never a throw.
    /// </summary>
    internal static bool TryParse(ReadOnlySequence<byte> line, [NotNullWhen(true)] out ControlRequest? request, [NotNullWhen(false)] out ControlResponse? error)
    {
        try
        {
            request = line.IsSingleSegment
                ? JsonSerializer.Deserialize(line.FirstSpan, ControlJson.Default.ControlRequest)
                : JsonSerializer.Deserialize(line.ToArray(), ControlJson.Default.ControlRequest);
        }
        catch (JsonException e)
        {
            request = null;
            error = ControlResponse.Failure($"invalid request: {e.Message}");
            return false;
        }

        error = request is null ? ControlResponse.Failure("invalid request: expected a JSON object") : null;
        return request is not null;
    }

    /// <summary>Writes <paramref name="response"/> to <paramref name="output"/> as one JSON line (not flushed).</summary>
    internal static void WriteResponse(Utf8JsonWriter json, IBufferWriter<byte> output, ControlResponse response)
    {
        json.Reset(output);
        JsonSerializer.Serialize(json, response, ControlJson.Default.ControlResponse);
        json.Flush();
        output.Write(s_newline);
    }

    /// <summary>True for a line of only spaces, tabs and carriage returns: it gets no response.</summary>
    internal static bool IsBlank(ReadOnlySequence<byte> line)
    {
        foreach (ReadOnlyMemory<byte> segment in line)
        {
            foreach (byte b in segment.Span)
            {
                if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r'))
                {
                    return false;
                }
            }
        }

        return true;
    }
}
