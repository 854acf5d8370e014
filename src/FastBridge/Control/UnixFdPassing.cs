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
/// send or receive ancillary data, so both directions call sendmsg/recvmsg on the socket's own descriptor.
/// Thread-safety: one sender and one receiver per socket at a time, as for any stream.
/// </remarks>
public static unsafe class UnixFdPassing
{
    /// <summary>Most descriptors taken from one recvmsg; more are closed by the kernel (MSG_CTRUNC) or by us.</summary>
    internal const int MaxFdsPerRead = 4;

    /// <summary>
    /// Sends <paramref name="data"/> with <paramref name="fd"/> attached (the socket must be blocking, as a
    /// <see cref="Socket"/> is by default).
    /// </summary>
    /// <exception cref="SocketException">sendmsg failed (the peer is gone, the fd is not open, ...).</exception>
    public static void Send(Socket socket, ReadOnlySpan<byte> data, int fd)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentOutOfRangeException.ThrowIfNegative(fd);
        if (data.IsEmpty)
        {
            throw new ArgumentException("a descriptor needs at least one byte of data to travel with", nameof(data));
        }

        int space = CmsgHdr.Space(sizeof(int));
        byte* control = stackalloc byte[space];
        new Span<byte>(control, space).Clear();
        var header = (CmsgHdr*)control;
        header->Length = (nuint)CmsgHdr.Len(sizeof(int));
        header->Level = Libc.SOL_SOCKET;
        header->Type = Libc.SCM_RIGHTS;
        *(int*)(control + CmsgHdr.Align(sizeof(CmsgHdr))) = fd;

        bool added = false;
        try
        {
            socket.SafeHandle.DangerousAddRef(ref added);
            int handle = (int)socket.SafeHandle.DangerousGetHandle();
            fixed (byte* bytes = data)
            {
                int sent = 0;
                while (sent < data.Length)
                {
                    var iov = new IoVec { Base = bytes + sent, Length = (nuint)(data.Length - sent) };
                    var message = new MsgHdr { Iov = &iov, IovLength = 1 };
                    if (sent == 0)
                    {
                        message.Control = control;
                        message.ControlLength = (nuint)space;
                    }

                    nint result = Libc.SendMsg(handle, &message, Libc.MSG_NOSIGNAL);
                    if (result < 0)
                    {
                        int errno = Marshal.GetLastPInvokeError();
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
        int space = CmsgHdr.Space(sizeof(int) * MaxFdsPerRead);
        byte* control = stackalloc byte[space];
        bool added = false;
        try
        {
            socket.SafeHandle.DangerousAddRef(ref added);
            int handle = (int)socket.SafeHandle.DangerousGetHandle();
            fixed (byte* bytes = buffer)
            {
                var iov = new IoVec { Base = bytes, Length = (nuint)buffer.Length };
                var message = new MsgHdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = (nuint)space };
                nint result;
                while ((result = Libc.RecvMsg(handle, &message, Libc.MSG_DONTWAIT | Libc.MSG_CMSG_CLOEXEC)) < 0)
                {
                    errno = Marshal.GetLastPInvokeError();
                    if (errno != Errno.EINTR)
                    {
                        return -1;
                    }
                }

                CollectFds(control, (int)message.ControlLength, fds);
                errno = 0;
                return (int)result;
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

    /// <summary>Walks the control messages (CMSG_FIRSTHDR / CMSG_NXTHDR) and takes the SCM_RIGHTS descriptors.</summary>
    private static void CollectFds(byte* control, int length, List<int> fds)
    {
        int headerSize = CmsgHdr.Align(sizeof(CmsgHdr));
        int offset = 0;
        while (offset + headerSize <= length)
        {
            var header = (CmsgHdr*)(control + offset);
            int messageLength = (int)header->Length;
            if (messageLength < headerSize || offset + messageLength > length)
            {
                break;
            }

            if (header->Level == Libc.SOL_SOCKET && header->Type == Libc.SCM_RIGHTS)
            {
                int count = (messageLength - headerSize) / sizeof(int);
                var data = (int*)(control + offset + headerSize);
                for (int i = 0; i < count; i++)
                {
                    fds.Add(data[i]);
                }
            }

            offset += CmsgHdr.Align(messageLength);
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
