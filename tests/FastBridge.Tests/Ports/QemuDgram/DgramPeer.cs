using System.Net.Sockets;

namespace FastBridge.Tests.Ports.QemuDgram;

/// <summary>
/// A unix datagram socket bound to a path of its own that sends to the port's socket, as QEMU's
/// <c>-netdev dgram,local.type=unix,local.path=OWN,remote.type=unix,remote.path=PORT</c> does: one frame per datagram.
/// </summary>
internal sealed class DgramPeer : IDisposable
{
    private readonly Socket _socket;
    private readonly UnixDomainSocketEndPoint _port;
    private readonly byte[] _buffer = new byte[1 << 17];

    public DgramPeer(string portPath, string? ownPath = null, bool named = true)
    {
        OwnPath = named ? ownPath ?? NewPath() : null;
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        _socket.SendBufferSize = 1 << 20;
        if (OwnPath is not null)
        {
            File.Delete(OwnPath);
            _socket.Bind(new UnixDomainSocketEndPoint(OwnPath));
        }

        _port = new UnixDomainSocketEndPoint(portPath);
    }

    /// <summary>The path this peer is bound to (QEMU's local.path); null for an unnamed socket.</summary>
    public string? OwnPath { get; }

    /// <summary>A fresh socket path under /tmp (short: unix paths stop at 107 bytes).</summary>
    public static string NewPath() => Path.Combine("/tmp", $"fbd-{Guid.NewGuid():N}"[..16] + ".sock");

    public void Send(ReadOnlySpan<byte> datagram) => _socket.SendTo(datagram, System.Net.Sockets.SocketFlags.None, _port);

    /// <summary>The next datagram, or null when none came within <paramref name="timeout"/>.</summary>
    public byte[]? Receive(TimeSpan timeout)
    {
        if (!_socket.Poll(timeout, SelectMode.SelectRead))
        {
            return null;
        }

        int n = _socket.Receive(_buffer);
        return _buffer.AsSpan(0, n).ToArray();
    }

    /// <summary>Reads and discards what is queued; returns how many datagrams.</summary>
    public int DrainAll()
    {
        int n = 0;
        while (_socket.Poll(TimeSpan.Zero, SelectMode.SelectRead))
        {
            _socket.Receive(_buffer);
            n++;
        }

        return n;
    }

    /// <summary>
    /// Closes the socket but leaves its file, as an exiting QEMU does: a send to it is then refused (ECONNREFUSED).
    /// (.NET removes a bound unix socket's file when the socket is disposed: the file is moved aside meanwhile.)
    /// </summary>
    public void CloseKeepingFile()
    {
        string aside = OwnPath! + ".aside";
        File.Move(OwnPath!, aside);
        _socket.Dispose();
        File.Move(aside, OwnPath!);
    }

    public void Dispose()
    {
        _socket.Dispose();
        if (OwnPath is not null)
        {
            File.Delete(OwnPath);
        }
    }
}
