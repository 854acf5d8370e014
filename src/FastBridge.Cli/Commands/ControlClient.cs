using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using FastBridge.Control;

namespace FastBridge.Cli.Commands;

/// <summary>
/// A client of a running switch's control socket: sends one JSON request line (optionally with a file descriptor
/// attached), reads one JSON response line.
/// </summary>
internal sealed class ControlClient : IDisposable
{
    private readonly Socket _socket;
    private readonly PipeReader _reader;

    private ControlClient(string path, Socket socket)
    {
        SocketPath = path;
        _socket = socket;
        _reader = PipeReader.Create(new NetworkStream(socket, ownsSocket: false));
    }

    public string SocketPath { get; }

    /// <summary>What the switch sends after a response line (a capture's frame stream), buffered behind the lines read so far.</summary>
    public PipeReader Reader => _reader;

    /// <summary>Shuts down the writing half: the switch sees the end of requests (a capture stops) and can still answer.</summary>
    public void StopSending() => _socket.Shutdown(SocketShutdown.Send);

    /// <summary>Connects to <paramref name="path"/>.</summary>
    /// <exception cref="ControlClientException">Nobody listens there (exit code 3) or the socket refused us (1).</exception>
    public static ControlClient Connect(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(path));
            return new ControlClient(path, socket);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw e.SocketErrorCode switch
            {
                SocketError.AddressNotAvailable or SocketError.ConnectionRefused or SocketError.AddressFamilyNotSupported =>
                    new ControlClientException(ExitCodes.NoSwitch, $"no switch is running at {path}"),
                SocketError.AccessDenied =>
                    new ControlClientException(ExitCodes.Failed, $"permission denied on {path} (the switch's owner or root may use it)"),
                _ => new ControlClientException(ExitCodes.NoSwitch, $"cannot connect to {path}: {e.Message}"),
            };
        }
    }

    /// <summary>Sends <paramref name="request"/> (with <paramref name="fd"/> attached when not -1) and returns the parsed and the raw response.</summary>
    public Task<(ControlResponse Response, string Raw)> RequestAsync(ControlRequest request, int fd = -1, CancellationToken cancel = default) =>
        RequestAsync(request, fd < 0 ? [] : [fd], cancel);

    /// <summary>Sends <paramref name="request"/> with <paramref name="fds"/> attached (in this order) and returns the parsed and the raw response.</summary>
    public async Task<(ControlResponse Response, string Raw)> RequestAsync(ControlRequest request, int[] fds, CancellationToken cancel = default)
    {
        string raw = await RequestRawAsync(JsonSerializer.Serialize(request, ControlJson.Default.ControlRequest), fds, cancel).ConfigureAwait(false);
        ControlResponse? response;
        try
        {
            response = JsonSerializer.Deserialize(raw, ControlJson.Default.ControlResponse);
        }
        catch (JsonException e)
        {
            throw new ControlClientException(ExitCodes.Failed, $"the switch sent a response this client does not understand: {e.Message}");
        }

        return (response ?? throw new ControlClientException(ExitCodes.Failed, "the switch sent an empty response"), raw);
    }

    /// <summary>Sends one line (a newline is added) and returns the response line.</summary>
    /// <remarks>
    /// A server that refuses the connection (too many connections) writes its reason and closes without reading the
    /// request, so the request's write may fail (EPIPE, or a reset): the reason is then waiting in the socket, and it is
    /// what the caller gets, as if it were the answer.
    /// </remarks>
    public Task<string> RequestRawAsync(string line, int fd = -1, CancellationToken cancel = default) =>
        RequestRawAsync(line, fd < 0 ? [] : [fd], cancel);

    /// <summary>Sends one line with <paramref name="fds"/> attached (in this order; none: a plain send) and returns the response line.</summary>
    public async Task<string> RequestRawAsync(string line, int[] fds, CancellationToken cancel = default)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(line + "\n");
        try
        {
            if (fds.Length > 0)
            {
                UnixFdPassing.Send(_socket, bytes, fds);
            }
            else
            {
                await _socket.SendAsync(bytes, SocketFlags.None, cancel).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            return await ReadWhatWasSaidAsync(cancel).ConfigureAwait(false) ?? throw Lost(e);
        }

        try
        {
            return await ReadLineAsync(cancel).ConfigureAwait(false)
                ?? throw new ControlClientException(ExitCodes.Failed, $"the switch at {SocketPath} closed the connection without answering");
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            throw Lost(e);
        }
    }

    /// <summary>After a failed write: a line the server sent before it closed, or null (nothing came within a second).</summary>
    private async Task<string?> ReadWhatWasSaidAsync(CancellationToken cancel)
    {
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        patience.CancelAfter(TimeSpan.FromSeconds(1));
        try
        {
            return await ReadLineAsync(patience.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or IOException || (e is OperationCanceledException && !cancel.IsCancellationRequested))
        {
            return null;
        }
    }

    private ControlClientException Lost(Exception e) => new(ExitCodes.Failed, $"lost the connection to {SocketPath}: {e.Message}");

    /// <summary>The next response line, or null at end of stream.</summary>
    public async Task<string?> ReadLineAsync(CancellationToken cancel = default)
    {
        while (true)
        {
            ReadResult result = await _reader.ReadAsync(cancel).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            if (buffer.PositionOf((byte)'\n') is { } newline)
            {
                string line = Encoding.UTF8.GetString(buffer.Slice(0, newline));
                _reader.AdvanceTo(buffer.GetPosition(1, newline));
                return line;
            }

            _reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                return null;
            }
        }
    }

    public void Dispose()
    {
        _reader.Complete();
        _socket.Dispose();
    }
}

/// <summary>A control request that could not be made; <see cref="ExitCode"/> is what the command exits with.</summary>
internal sealed class ControlClientException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
