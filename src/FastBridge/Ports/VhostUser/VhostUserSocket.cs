using System.Net.Sockets;
using System.Runtime.InteropServices;
using FastBridge.Interop;

namespace FastBridge.Ports.VhostUser;

/// <summary>The unix socket side of vhost-user: listening with the right mode, connecting, and reading framed messages with their fds.</summary>
internal static class VhostUserSocket
{
    private const int PollMicroseconds = 200_000;

    /// <summary>Binds and listens on <paramref name="path"/>: mode 0600, or 0660 owned by <paramref name="group"/>.</summary>
    public static Socket Listen(string path, string? group)
    {
        int gid = group is null ? -1 : GroupId(group); // before bind: an unknown group leaves no socket file behind
        RemoveStale(path);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint(path));
            // Mode before listen: nobody can connect to a socket that does not listen yet.
            File.SetUnixFileMode(path, group is null ? UnixFileMode.UserRead | UnixFileMode.UserWrite
                : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite);
            if (group is not null && Libc.Chown(path, -1, gid) != 0)
            {
                throw new IOException($"chown {path} to group {group}: errno {Marshal.GetLastPInvokeError()}");
            }

            socket.Listen(1);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Removes a socket file left by an earlier run: only an empty non-directory, non-link entry (what a socket looks
    /// like to <see cref="FileInfo"/>), never a file with content.
    /// </summary>
    public static void RemoveStale(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (info.Exists && info.Length == 0 && info.LinkTarget is null)
            {
                info.Delete();
            }
        }
        catch (IOException)
        {
        }
    }

    /// <summary>The id of <paramref name="group"/>, a name in /etc/group or a number; ArgumentException when neither.</summary>
    public static int GroupId(string group)
    {
        if (int.TryParse(group, out int id) && id >= 0)
        {
            return id;
        }

        foreach (string line in File.ReadLines("/etc/group"))
        {
            string[] fields = line.Split(':');
            if (fields.Length >= 3 && fields[0] == group && int.TryParse(fields[2], out id))
            {
                return id;
            }
        }

        throw new ArgumentException($"group '{group}' does not exist (neither a group in /etc/group nor a numeric id)");
    }

    public static Socket? TryConnect(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(path));
            return socket;
        }
        catch (SocketException)
        {
            socket.Dispose();
            return null;
        }
    }

    /// <summary>
    /// Reads one message (header, payload, fds) into <paramref name="buffer"/>; returns null, or why the connection
    /// must end (closed, truncated, malformed header).
    /// </summary>
    public static string? ReadMessage(Socket peer, byte[] buffer, List<int> fds, Func<bool> stopping, out VhostHeader header)
    {
        header = default;
        string? error = ReadExact(peer, buffer.AsSpan(0, VhostProtocol.HeaderSize), fds, stopping, atStart: true);
        if (error is not null)
        {
            return error;
        }

        if (!VhostHeader.TryParseHeader(buffer, out header, out error))
        {
            return $"malformed header: {error}";
        }

        return header.Size == 0 ? null : ReadExact(peer, buffer.AsSpan(VhostProtocol.HeaderSize, (int)header.Size), fds, stopping, atStart: false);
    }

    private static string? ReadExact(Socket peer, Span<byte> into, List<int> fds, Func<bool> stopping, bool atStart)
    {
        int got = 0;
        while (got < into.Length)
        {
            if (stopping())
            {
                return "port closed";
            }

            nint n;
            int errno;
            bool added = false;
            try
            {
                peer.SafeHandle.DangerousAddRef(ref added);
                n = ScmRights.Receive((int)peer.SafeHandle.DangerousGetHandle(), into[got..], VhostProtocol.MaxFds, fds, out errno);
            }
            catch (ObjectDisposedException)
            {
                return "port closed";
            }
            finally
            {
                if (added)
                {
                    peer.SafeHandle.DangerousRelease();
                }
            }

            if (n > 0)
            {
                got += (int)n;
                continue;
            }

            if (n == 0)
            {
                return got == 0 && atStart ? "the frontend closed the connection" : "truncated message";
            }

            if (errno == Errno.EINTR)
            {
                continue;
            }

            if (errno != Errno.EAGAIN)
            {
                return $"recvmsg failed: errno {errno}";
            }

            try
            {
                peer.Poll(PollMicroseconds, SelectMode.SelectRead);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return "port closed";
            }
        }

        return null;
    }
}
