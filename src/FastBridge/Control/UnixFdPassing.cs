using System.Net.Sockets;
using System.Runtime.InteropServices;
using FastBridge.Interop;

namespace FastBridge.Control;

/// <summary>
/// Hands open file descriptors across a Unix domain stream socket (SCM_RIGHTS ancillary data), so a program that
/// created a TAP device (and may have dropped its privileges since) can give its fd to a running switch.
/// </summary>
/// <remarks>
/// Design: the descriptor rides on the first byte of the data it is sent with; the receiver gets a new descriptor
/// number for the same open file (the sender may close its own right after). .NET's <see cref="Socket"/> cannot
/// send or receive ancillary data, so both directions call sendmsg/recvmsg on the socket's own descriptor (the pointer
/// work is in <see cref="ScmRights"/>; this type keeps the socket's handle alive across the call and retries).
/// Thread-safety: one sender and one receiver per socket at a time, as for any stream.
/// </remarks>
public static class UnixFdPassing
{
    /// <summary>
    /// Most descriptors taken from one recvmsg (the queues of one multi-queue TAP at most); more are closed by the
    /// kernel (MSG_CTRUNC) or by us.
    /// </summary>
    internal const int MaxFdsPerRead = Ports.TapPort.MaxQueues;

    /// <summary>
    /// Sends <paramref name="data"/> with <paramref name="fd"/> attached (the socket must be blocking, as a
    /// <see cref="Socket"/> is by default).
    /// </summary>
    /// <exception cref="SocketException">sendmsg failed (the peer is gone, the fd is not open, ...).</exception>
    public static void Send(Socket socket, ReadOnlySpan<byte> data, int fd)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fd);
        Send(socket, data, [fd]);
    }

    /// <summary>
    /// Sends <paramref name="data"/> with all of <paramref name="fds"/> attached, in this order, in one SCM_RIGHTS
    /// message (the queue fds of one multi-queue TAP; at most 64).
    /// </summary>
    /// <exception cref="SocketException">sendmsg failed (the peer is gone, an fd is not open, ...).</exception>
    public static void Send(Socket socket, ReadOnlySpan<byte> data, ReadOnlySpan<int> fds)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (fds.IsEmpty || fds.Length > MaxFdsPerRead)
        {
            throw new ArgumentException($"1 to {MaxFdsPerRead} descriptors travel with one message, not {fds.Length}", nameof(fds));
        }

        foreach (int fd in fds)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(fd, nameof(fds));
        }

        if (data.IsEmpty)
        {
            throw new ArgumentException("a descriptor needs at least one byte of data to travel with", nameof(data));
        }

        bool added = false;
        try
        {
            socket.SafeHandle.DangerousAddRef(ref added);
            int handle = (int)socket.SafeHandle.DangerousGetHandle();
            int sent = 0;
            while (sent < data.Length)
            {
                // The descriptor travels with the first byte only.
                nint result = ScmRights.Send(handle, data[sent..], sent == 0 ? fds : [], out int errno);
                if (result < 0)
                {
                    if (errno == Errno.EINTR)
                    {
                        continue;
                    }

                    if (errno == Errno.EAGAIN)
                    {
                        // the runtime puts a socket it did async I/O on into O_NONBLOCK: wait until writable
                        socket.Poll(-1, SelectMode.SelectWrite);
                        continue;
                    }

                    throw new SocketException((int)ToSocketError(errno));
                }

                sent += (int)result;
            }
        }
        finally
        {
            if (added)
            {
                socket.SafeHandle.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// Non-blocking recvmsg: reads what is waiting into <paramref name="buffer"/> and appends any descriptors that
    /// came with it to <paramref name="fds"/> (close-on-exec). Returns the byte count (0 at end of stream) or -1 with
    /// <paramref name="errno"/> (EAGAIN when nothing is waiting).
    /// </summary>
    internal static int Receive(Socket socket, Span<byte> buffer, List<int> fds, out int errno)
    {
        bool added = false;
        try
        {
            socket.SafeHandle.DangerousAddRef(ref added);
            int handle = (int)socket.SafeHandle.DangerousGetHandle();
            nint result;
            do
            {
                result = ScmRights.Receive(handle, buffer, MaxFdsPerRead, fds, out errno);
            }
            while (result < 0 && errno == Errno.EINTR);

            return (int)result;
        }
        finally
        {
            if (added)
            {
                socket.SafeHandle.DangerousRelease();
            }
        }
    }

    private static SocketError ToSocketError(int errno) => errno switch
    {
        Errno.EBADF => SocketError.InvalidArgument,
        Errno.EAGAIN => SocketError.WouldBlock,
        Errno.ENOBUFS or Errno.ENOMEM => SocketError.NoBufferSpaceAvailable,
        Errno.EMSGSIZE => SocketError.MessageSize,
        32 => SocketError.Shutdown, // EPIPE
        104 => SocketError.ConnectionReset, // ECONNRESET
        _ => SocketError.SocketError,
    };
}

/// <summary>Who is at the other end of a Unix domain socket, as the kernel recorded it at connect (SO_PEERCRED).</summary>
/// <param name="Pid">The peer's process id.</param>
/// <param name="Uid">The peer's effective user id.</param>
/// <param name="Gid">The peer's effective group id.</param>
public readonly record struct PeerCredentials(int Pid, uint Uid, uint Gid)
{
    /// <summary>Reads SO_PEERCRED of a connected Unix domain socket.</summary>
    public static PeerCredentials Of(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        Span<byte> ucred = stackalloc byte[12];
        int length = socket.GetRawSocketOption(Libc.SOL_SOCKET, Libc.SO_PEERCRED, ucred);
        if (length < 12)
        {
            throw new SocketException((int)SocketError.InvalidArgument);
        }

        return new PeerCredentials(
            MemoryMarshal.Read<int>(ucred),
            MemoryMarshal.Read<uint>(ucred[4..]),
            MemoryMarshal.Read<uint>(ucred[8..]));
    }
}
