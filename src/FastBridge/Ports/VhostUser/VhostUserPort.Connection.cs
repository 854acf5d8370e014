using System.Net.Sockets;
using FastBridge.Interop;

namespace FastBridge.Ports.VhostUser;

public sealed partial class VhostUserPort
{
    private const int PollMicroseconds = 200_000;

    private readonly List<int> _fds = new(VhostProtocol.MaxFds);
    private readonly byte[] _message = new byte[VhostProtocol.HeaderSize + VhostProtocol.MaxPayload];
    private readonly byte[] _reply = new byte[VhostProtocol.HeaderSize + 64];
    private Thread? _thread;
    private Socket? _listener;
    private volatile Socket? _peer;
    private volatile bool _stopping;
    private volatile bool _connected;

    /// <summary>Why the last frontend connection ended (null while none has ended).</summary>
    public string? LastDisconnectReason { get; private set; }

    /// <summary>Frontend connections served so far (a reconnect adds one).</summary>
    public int Connections { get; private set; }

    private void StartConnection()
    {
        if (!Options.Client)
        {
            _listener = VhostUserSocket.Listen(Options.SocketPath, Options.Group);
        }

        _thread = new Thread(Run) { IsBackground = true, Name = $"vhost-user-{Name}" };
        _thread.Start();
    }

    private void StopConnection()
    {
        _stopping = true;
        _listener?.Dispose();
        _peer?.Dispose();
        if (_thread is not null && _thread != Thread.CurrentThread)
        {
            _thread.Join();
        }

        if (!Options.Client)
        {
            VhostUserSocket.RemoveStale(Options.SocketPath);
        }
    }

    private void Run()
    {
        TimeSpan delay = TimeSpan.FromMilliseconds(50);
        while (!_stopping)
        {
            Socket? peer = Options.Client ? VhostUserSocket.TryConnect(Options.SocketPath) : TryAccept();
            if (peer is null)
            {
                if (Options.Client && !_stopping)
                {
                    Thread.Sleep(delay);
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, Options.MaxRetryDelay.Ticks));
                }

                continue;
            }

            delay = TimeSpan.FromMilliseconds(50);
            _peer = peer;
            _connected = true;
            Connections++;
            string reason = Serve(peer);
            Disconnect(reason);
            peer.Dispose();
            _peer = null;
        }
    }

    private Socket? TryAccept()
    {
        try
        {
            Socket listener = _listener!;
            return listener.Poll(PollMicroseconds, SelectMode.SelectRead) ? listener.Accept() : null;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return null;
        }
    }

    /// <summary>Reads and applies messages until the frontend leaves or sends something malformed; returns why it ended.</summary>
    private string Serve(Socket peer)
    {
        while (!_stopping)
        {
            _fds.Clear();
            string? error = VhostUserSocket.ReadMessage(peer, _message, _fds, () => _stopping, out VhostHeader header);
            if (error is not null)
            {
                CloseFds();
                return error;
            }

            bool readOnly = header.Request is VhostRequest.GetFeatures or VhostRequest.GetProtocolFeatures or VhostRequest.GetQueueNum;
            if (!readOnly)
            {
                Quiesce();
            }

            Span<byte> replyPayload = _reply.AsSpan(VhostProtocol.HeaderSize);
            MessageOutcome outcome = _device.Handle(header, _message.AsSpan(VhostProtocol.HeaderSize, (int)header.Size),
                System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_fds), replyPayload, out int replyLength, out error);
            if (outcome == MessageOutcome.Malformed)
            {
                return $"malformed {header.Request}: {error}";
            }

            if (!readOnly)
            {
                AfterChange();
            }

            if (!SendReply(peer, header, outcome, replyLength))
            {
                return "the frontend stopped reading replies";
            }
        }

        return "port closed";
    }

    private void AfterChange()
    {
        if (_device.Ready)
        {
            PublishIfReady();
        }
        else if (_connected)
        {
            SetState(PortState.LinkDown, "vhost-user rings not started");
        }
    }

    private bool SendReply(Socket peer, VhostHeader header, MessageOutcome outcome, int replyLength)
    {
        bool ackNegotiated = VhostProtocol.Has(_device.ProtocolFeatures, VhostProtocol.ProtocolReplyAck);
        if (outcome != MessageOutcome.Reply)
        {
            if (!header.NeedsReply || !ackNegotiated)
            {
                return true;
            }

            BitConverter.TryWriteBytes(_reply.AsSpan(VhostProtocol.HeaderSize), outcome == MessageOutcome.Done ? 0UL : 1UL);
            replyLength = 8;
        }

        new VhostHeader(header.Request, VhostProtocol.Version | VhostProtocol.FlagReply, (uint)replyLength).Write(_reply);
        try
        {
            peer.Send(_reply.AsSpan(0, VhostProtocol.HeaderSize + replyLength));
            return true;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>The frontend is gone: the dataplane lets go, the memory is unmapped, the port is down (its MACs are forgotten).</summary>
    private void Disconnect(string reason)
    {
        Quiesce();
        _device.Reset();
        _connected = false;
        _features = "-";
        LastDisconnectReason = reason;
        SetState(PortState.LinkDown, $"vhost-user frontend gone: {reason}");
    }

    private void CloseFds()
    {
        foreach (int fd in _fds)
        {
            Libc.Close(fd);
        }

        _fds.Clear();
    }
}
