using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using FastBridge.Interop;
using FastBridge.Switching;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.ObjectPool;

namespace FastBridge.Control;

/// <summary>
/// Serves the control protocol of one <see cref="Bridge"/> on a Unix domain socket: JSON requests, one per line, each
/// answered by one JSON line (see <see cref="ControlRequest"/>, <see cref="ControlResponse"/> and README,
/// "Managing a running switch"). <c>fastbridge run</c> hosts one; an embedding program can host its own.
/// </summary>
/// <remarks>
/// <para>
/// Design: the socket is created mode 0600 (bound, made 0600, and only then listened on, so nobody can connect while
/// it has looser permissions) and removed on dispose. A socket file already at the path is probed first: if a server
/// answers, it is left alone and <see cref="Start"/> fails with <see cref="ControlSocketInUseException"/>; if the
/// connection is refused, it is a leftover of a dead process and is replaced. Every client gets its own
/// <see cref="ControlConnection"/> loop; clients cannot hold each other up.
/// </para>
/// <para>
/// Security: the kernel's peer credentials (SO_PEERCRED) decide what a client may do. Root and the socket's owner
/// (this process's effective uid) may do everything; any other uid that can connect at all (only if someone loosened
/// the socket's mode) may only use the read-only verbs (status, port-list, fdb-show, stats) and is refused the others.
/// </para>
/// <para>
/// Thread-safety: the server runs on thread-pool threads only, never on a dataplane thread, and takes no lock the
/// dataplane takes: the bridge's control methods serialize on the bridge's control lock, the MAC table's on its own.
/// </para>
/// </remarks>
public sealed class ControlServer : IAsyncDisposable, IDisposable
{
    private readonly Bridge _bridge;
    private readonly ILogger _log;
    private readonly ControlServerOptions _options;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<ControlConnection, Task> _connections = new();
    private readonly ObjectPool<List<MacEntry>> _entryLists = CreateEntryLists();
    private readonly Task _accepting;
    private int _disposed;

    private ControlServer(Bridge bridge, string socketPath, Socket listener, ILogger log, ControlServerOptions options)
    {
        _bridge = bridge;
        SocketPath = socketPath;
        _listener = listener;
        _log = log;
        _options = options;
        OwnerUid = Libc.GetEuid();
        _accepting = Task.Run(AcceptLoopAsync);
    }

    /// <summary>The socket's path.</summary>
    public string SocketPath { get; }

    /// <summary>The uid that owns the socket (this process's effective uid): it and root may change state.</summary>
    public uint OwnerUid { get; }

    /// <summary>Clients connected right now.</summary>
    public int ConnectionCount => _connections.Count;

    /// <summary>The default socket path of a switch named <paramref name="name"/>: <c>/run/fastbridge/NAME.sock</c>.</summary>
    public static string DefaultSocketPath(string name) => $"/run/fastbridge/{name}.sock";

    /// <summary>
    /// Creates the socket at <paramref name="socketPath"/> (and its directory, mode 0755, if missing) and starts
    /// serving <paramref name="bridge"/>.
    /// </summary>
    /// <exception cref="ControlSocketInUseException">Another live server answers at that path.</exception>
    /// <exception cref="IOException">The socket cannot be created there; the message says why.</exception>
    public static ControlServer Start(Bridge bridge, string socketPath, ILogger? log = null, ControlServerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(bridge);
        ArgumentException.ThrowIfNullOrWhiteSpace(socketPath);
        options ??= new ControlServerOptions();
        options.Validate();
        string path = Path.GetFullPath(socketPath);
        if (Encoding.UTF8.GetByteCount(path) > 107)
        {
            throw new IOException($"control socket path '{path}' is too long for a Unix socket (107 bytes at most)");
        }

        string? directory = Path.GetDirectoryName(path);
        if (directory is not null && !Directory.Exists(directory))
        {
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }

        ClaimPath(path);
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            try
            {
                listener.Bind(new UnixDomainSocketEndPoint(path));
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                throw new ControlSocketInUseException(path); // another server won the race since ClaimPath
            }

            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            listener.Listen(64);
        }
        catch (SocketException e)
        {
            listener.Dispose();
            throw new IOException($"cannot create control socket '{path}': {e.Message}", e);
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        log ??= NullLogger.Instance;
        log.LogInformation("control socket {Path} listening", path);
        return new ControlServer(bridge, path, listener, log, options);
    }

    /// <summary>True when a server answers at <paramref name="socketPath"/> (a connect succeeds), so it must not be replaced.</summary>
    public static bool IsLive(string socketPath)
    {
        if (!File.Exists(socketPath))
        {
            return false;
        }

        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(socketPath));
            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode != SocketError.AccessDenied)
        {
            return false;
        }
        catch (SocketException)
        {
            return true; // someone else's socket: not ours to judge or replace
        }
    }

    /// <summary>The pool of fdb-show snapshot lists a server hands to <c>ControlVerbs.Execute</c>.</summary>
    internal static ObjectPool<List<MacEntry>> CreateEntryLists() =>
        new DefaultObjectPoolProvider { MaximumRetained = 4 }.Create(new ListPolicy<MacEntry>());

    /// <summary>Root and the owner may change state; everybody else may only read.</summary>
    internal static bool MayChangeState(uint peerUid, uint ownerUid) => peerUid == 0 || peerUid == ownerUid;

    internal Bridge Bridge => _bridge;

    /// <summary>
    /// A <c>capture</c> request: the session to stream (attached by <see cref="CaptureStream"/>) and the response line
    /// that precedes the stream, or no session and the error. Captures see every frame: root and the owner only.
    /// </summary>
    internal (Capture.CaptureSession? Session, ControlResponse Response) StartCapture(ControlConnection connection, ControlRequest request)
    {
        if (!connection.MayChangeState)
        {
            return (null, ControlResponse.Failure($"permission denied: uid {connection.Peer.Uid} may only read; 'capture' needs root or uid {OwnerUid}"));
        }

        if (!CaptureVerb.TryStart(_bridge, request.Capture, out Capture.CaptureSession? session, out ControlResponse response))
        {
            return (null, response);
        }

        _log.LogInformation("control: capture by uid {Uid} (pid {Pid})", connection.Peer.Uid, connection.Peer.Pid);
        return (session, response);
    }

    /// <summary>Runs one request for <paramref name="connection"/>, checking what its peer may do.</summary>
    internal ControlResponse Execute(ControlConnection connection, ControlRequest request, List<int> fds)
    {
        string? verb = request.Verb;
        bool readOnly = verb is not null && ControlVerbs.IsReadOnly(verb);
        if (!readOnly && verb is not null && ControlVerbs.IsKnown(verb) && !connection.MayChangeState)
        {
            return ControlResponse.Failure(
                $"permission denied: uid {connection.Peer.Uid} may only read; '{verb}' needs root or uid {OwnerUid}");
        }

        ControlResponse response = ControlVerbs.Execute(_bridge, request, fds, _entryLists);
        if (!readOnly && response.Ok)
        {
            _log.LogInformation("control: {Verb}{Arguments} by uid {Uid} (pid {Pid})", verb, Arguments(request), connection.Peer.Uid, connection.Peer.Pid);
        }

        return response;
    }

    private static string Arguments(ControlRequest request)
    {
        var text = new StringBuilder();
        Append(text, "name", request.Name);
        Append(text, "fd", request.Fd is true ? (request.Queues is > 1 ? $"{request.Queues} passed" : "passed") : null);
        Append(text, "mac", request.Mac);
        Append(text, "port", request.Port);
        Append(text, "vlan", request.Vlan?.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Append(text, "value", request.Value?.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return text.ToString();

        static void Append(StringBuilder text, string key, string? value)
        {
            if (value is not null)
            {
                text.Append(' ').Append(key).Append('=').Append(value);
            }
        }
    }

    /// <summary>Leaves a live socket alone (throws), removes a stale one (nobody listening), ignores a missing one.</summary>
    private static void ClaimPath(string path)
    {
        if (Directory.Exists(path))
        {
            throw new IOException($"cannot create control socket '{path}': a directory of that name exists");
        }

        if (!File.Exists(path))
        {
            return;
        }

        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            File.Delete(path); // stale: its server died without removing it
            return;
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.AddressNotAvailable or SocketError.InvalidArgument)
        {
            return; // vanished meanwhile
        }

        throw new ControlSocketInUseException(path);
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                _log.LogWarning("control socket accept failed: {Error}", e.Message);
                await Task.Delay(100).ConfigureAwait(false); // EMFILE and the like: do not spin
                continue;
            }

            if (_connections.Count >= _options.MaxConnections)
            {
                Refuse(client, $"too many control connections ({_options.MaxConnections})");
                continue;
            }

            ControlConnection connection;
            try
            {
                connection = new ControlConnection(this, client, _options, _log);
            }
            catch (SocketException e)
            {
                _log.LogDebug("control client dropped before it could be served: {Error}", e.Message);
                client.Dispose();
                continue;
            }

            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Task run = ServeAsync(connection, started.Task);
            _connections[connection] = run;
            started.SetResult();
        }
    }

    private async Task ServeAsync(ControlConnection connection, Task registered)
    {
        await registered.ConfigureAwait(false);
        try
        {
            await connection.RunAsync(_stopping.Token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _log.LogWarning("control connection failed: {Error}", e.Message);
        }
        finally
        {
            _connections.TryRemove(connection, out _);
        }
    }

    private static void Refuse(Socket client, string error)
    {
        try
        {
            client.Blocking = false;
            client.Send(Encoding.UTF8.GetBytes($"{{\"ok\":false,\"error\":\"{error}\"}}\n"));
        }
        catch (SocketException)
        {
        }
        finally
        {
            client.Dispose();
        }
    }

    /// <summary>Stops accepting, closes every connection and removes the socket file.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stopping.Cancel();
        _listener.Dispose();
        try
        {
            File.Delete(SocketPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.LogWarning("cannot remove control socket {Path}: {Error}", SocketPath, e.Message);
        }

        await _accepting.ConfigureAwait(false);
        Task all = Task.WhenAll(_connections.Values);
        await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(5))).ConfigureAwait(false);
        _stopping.Dispose();
        _log.LogInformation("control socket {Path} closed", SocketPath);
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private sealed class ListPolicy<T> : PooledObjectPolicy<List<T>>
    {
        public override List<T> Create() => [];

        public override bool Return(List<T> obj)
        {
            obj.Clear();
            return obj.Capacity <= 1 << 20; // do not keep a huge snapshot's array around forever
        }
    }
}

/// <summary>Another switch is alive at the control socket's path; it was left alone.</summary>
public sealed class ControlSocketInUseException(string path)
    : IOException($"control socket '{path}' is in use by a running switch (stop it, or choose another --name or --control)")
{
    public string SocketPath { get; } = path;
}
