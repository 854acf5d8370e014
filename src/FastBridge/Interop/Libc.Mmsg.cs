using System.Runtime.InteropServices;

namespace FastBridge.Interop;

/// <summary>
/// bind, and recvmmsg/sendmmsg without blocking: the batch calls of the ports whose frames are datagrams (QEMU dgram on
/// unix sockets, VXLAN on UDP), one copy for both.
/// </summary>
internal static unsafe partial class Libc
{
    /// <summary>msghdr flag after recvmmsg: the datagram was longer than the buffers given, and was cut.</summary>
    public const int MSG_TRUNC = 0x20;

    [LibraryImport(LibraryName, EntryPoint = "bind", SetLastError = true)]
    public static partial int Bind(int socket, void* address, uint length);

    [LibraryImport(LibraryName, EntryPoint = "recvmmsg", SetLastError = true)]
    private static partial int RecvMmsg(int socket, MmsgHdr* messages, uint count, int flags, void* timeout);

    [LibraryImport(LibraryName, EntryPoint = "sendmmsg", SetLastError = true)]
    private static partial int SendMmsg(int socket, MmsgHdr* messages, uint count, int flags);

    /// <summary>recvmmsg without blocking; 0 when nothing waits; -1 with <paramref name="errno"/> on another error.</summary>
    public static int ReceiveMany(int socket, MmsgHdr* messages, uint count, out int errno)
    {
        int n = RecvMmsg(socket, messages, count, MSG_DONTWAIT, null);
        errno = n < 0 ? Marshal.GetLastPInvokeError() : 0;
        return n < 0 && errno is Errno.EAGAIN or Errno.EINTR ? 0 : n;
    }

    /// <summary>sendmmsg without blocking; the number sent, or -1 with <paramref name="errno"/> when the first failed.</summary>
    public static int SendMany(int socket, MmsgHdr* messages, uint count, out int errno)
    {
        int n = SendMmsg(socket, messages, count, MSG_DONTWAIT);
        errno = n < 0 ? Marshal.GetLastPInvokeError() : 0;
        return n;
    }
}

/// <summary>struct mmsghdr: a msghdr and the bytes sendmmsg sent of it (64 bytes on 64-bit Linux).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MmsgHdr
{
    public MsgHdr Header;
    public uint Length;
}
