using System.Buffers.Binary;
using System.Net.Sockets;

namespace FastBridge.Tests.Ports.QemuSocket;

/// <summary>The client end of a stream port's socket, as QEMU's <c>-netdev stream</c> is: length-prefixed frames.</summary>
internal sealed class StreamPeer : IDisposable
{
    private readonly Socket _socket;
    private readonly byte[] _buffer = new byte[1 << 18];
    private int _start;
    private int _end;

    private StreamPeer(Socket socket) => _socket = socket;

    public static StreamPeer Connect(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(path));
        return new StreamPeer(socket);
    }

    /// <summary>A fresh socket path under /tmp (short: unix paths stop at 107 bytes).</summary>
    public static string NewPath() => Path.Combine("/tmp", $"fbs-{Guid.NewGuid():N}"[..16] + ".sock");

    public static byte[] Framed(params byte[][] frames)
    {
        var bytes = new List<byte>();
        foreach (byte[] frame in frames)
        {
            var header = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(header, (uint)frame.Length);
            bytes.AddRange(header);
            bytes.AddRange(frame);
        }

        return [.. bytes];
    }

    public void SendFrame(byte[] frame) => SendRaw(Framed(frame));

    public void SendRaw(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            bytes = bytes[_socket.Send(bytes)..];
        }
    }

    /// <summary>Closes the sending side only (the switch sees the end of the stream).</summary>
    public void ShutdownSend() => _socket.Shutdown(SocketShutdown.Send);

    /// <summary>The next frame the switch sent, or null when none came within <paramref name="timeout"/> or the socket closed.</summary>
    public byte[]? ReceiveFrame(TimeSpan timeout)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (true)
        {
            if (_end - _start >= 4)
            {
                int length = (int)BinaryPrimitives.ReadUInt32BigEndian(_buffer.AsSpan(_start));
                if (_end - _start >= 4 + length)
                {
                    byte[] frame = _buffer.AsSpan(_start + 4, length).ToArray();
                    _start += 4 + length;
                    return frame;
                }
            }

            long left = deadline - Environment.TickCount64;
            if (left <= 0 || !Fill((int)left))
            {
                return null;
            }
        }
    }

    /// <summary>True when the switch closed the connection within <paramref name="timeout"/> (frames before the end are skipped).</summary>
    public bool WaitClosed(TimeSpan timeout)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (true)
        {
            long left = deadline - Environment.TickCount64;
            if (left <= 0)
            {
                return false;
            }

            if (!_socket.Poll((int)Math.Min(left, 100) * 1000, SelectMode.SelectRead))
            {
                continue;
            }

            try
            {
                if (_socket.Receive(_buffer) == 0)
                {
                    return true;
                }
            }
            catch (SocketException)
            {
                return true;
            }
        }
    }

    private bool Fill(int timeoutMs)
    {
        if (_start > 0)
        {
            Array.Copy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        if (!_socket.Poll(timeoutMs * 1000, SelectMode.SelectRead))
        {
            return false;
        }

        int n;
        try
        {
            n = _socket.Receive(_buffer.AsSpan(_end));
        }
        catch (SocketException)
        {
            return false;
        }

        _end += n;
        return n > 0;
    }

    public void Dispose() => _socket.Dispose();
}
