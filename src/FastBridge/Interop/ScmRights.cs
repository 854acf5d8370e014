using System.Runtime.InteropServices;

namespace FastBridge.Interop;

/// <summary>
/// One sendmsg or recvmsg carrying file descriptors as SCM_RIGHTS control data: the pointer work of passing
/// descriptors over a Unix domain socket, kept here so its caller (<c>Control.UnixFdPassing</c>) needs no unsafe code.
/// </summary>
/// <remarks>
/// Safety: every pointer points either into a stackalloc sized here with CMSG_SPACE for exactly what is written, or
/// into a span pinned with <c>fixed</c> for the duration of the call; the control-message walk reads only within the
/// control length the kernel returned, which is at most the buffer it was given, and checks each header's length
/// against it before reading.
/// </remarks>
internal static unsafe class ScmRights
{
    /// <summary>
    /// One sendmsg of <paramref name="data"/>, with <paramref name="fd"/> attached when it is not negative. Returns the
    /// bytes sent, or -1 with <paramref name="errno"/>.
    /// </summary>
    public static nint Send(int socket, ReadOnlySpan<byte> data, int fd, out int errno) =>
        Send(socket, data, fd >= 0 ? new ReadOnlySpan<int>(in fd) : default, out errno);

    /// <summary>
    /// One sendmsg of <paramref name="data"/>, with <paramref name="fds"/> attached (one SCM_RIGHTS message) when there
    /// are any (at most 64). Returns the bytes sent, or -1 with <paramref name="errno"/>.
    /// </summary>
    public static nint Send(int socket, ReadOnlySpan<byte> data, ReadOnlySpan<int> fds, out int errno)
    {
        int count = Math.Min(fds.Length, 64);
        int space = CmsgHdr.Space(sizeof(int) * Math.Max(count, 1));
        byte* control = stackalloc byte[space];
        new Span<byte>(control, space).Clear();
        var header = (CmsgHdr*)control;
        header->Length = (nuint)CmsgHdr.Len(sizeof(int) * count);
        header->Level = Libc.SOL_SOCKET;
        header->Type = Libc.SCM_RIGHTS;
        fds[..count].CopyTo(new Span<int>(control + CmsgHdr.Align(sizeof(CmsgHdr)), count));
        fixed (byte* bytes = data)
        {
            var iov = new IoVec { Base = bytes, Length = (nuint)data.Length };
            var message = new MsgHdr { Iov = &iov, IovLength = 1 };
            if (count > 0)
            {
                message.Control = control;
                message.ControlLength = (nuint)space;
            }

            nint result = Libc.SendMsg(socket, &message, Libc.MSG_NOSIGNAL);
            errno = result < 0 ? Marshal.GetLastPInvokeError() : 0;
            return result;
        }
    }

    /// <summary>
    /// One non-blocking recvmsg into <paramref name="buffer"/>, with room for up to <paramref name="maxFds"/>
    /// descriptors (close-on-exec) appended to <paramref name="fds"/>. Returns the bytes read (0 at end of stream) or
    /// -1 with <paramref name="errno"/>.
    /// </summary>
    public static nint Receive(int socket, Span<byte> buffer, int maxFds, List<int> fds, out int errno)
    {
        int space = CmsgHdr.Space(sizeof(int) * maxFds);
        byte* control = stackalloc byte[space];
        fixed (byte* bytes = buffer)
        {
            var iov = new IoVec { Base = bytes, Length = (nuint)buffer.Length };
            var message = new MsgHdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = (nuint)space };
            nint result = Libc.RecvMsg(socket, &message, Libc.MSG_DONTWAIT | Libc.MSG_CMSG_CLOEXEC);
            if (result < 0)
            {
                errno = Marshal.GetLastPInvokeError();
                return -1;
            }

            CollectFds(control, Math.Min((int)message.ControlLength, space), fds);
            errno = 0;
            return result;
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
}
