using System.Runtime.InteropServices;

namespace FastBridge.Interop;

/// <summary>epoll_create1, epoll_ctl and epoll_wait; the event layout is in <see cref="EpollEventLayout"/>.</summary>
internal static unsafe partial class Libc
{
    public const int EPOLL_CLOEXEC = 0x80000;

    public const int EPOLL_CTL_ADD = 1;
    public const int EPOLL_CTL_DEL = 2;
    public const int EPOLL_CTL_MOD = 3;

    public const uint EPOLLIN = 0x001;
    public const uint EPOLLOUT = 0x004;
    public const uint EPOLLERR = 0x008;
    public const uint EPOLLHUP = 0x010;
    public const uint EPOLLET = 0x80000000;

    [LibraryImport(LibraryName, EntryPoint = "epoll_create1", SetLastError = true)]
    public static partial int EpollCreate1(int flags);

    /// <summary><paramref name="evnt"/> points at one event in <see cref="EpollEventLayout"/> (null for EPOLL_CTL_DEL).</summary>
    [LibraryImport(LibraryName, EntryPoint = "epoll_ctl", SetLastError = true)]
    public static partial int EpollCtl(int epfd, int op, int fd, void* evnt);

    [LibraryImport(LibraryName, EntryPoint = "epoll_wait", SetLastError = true)]
    public static partial int EpollWait(int epfd, void* events, int maxEvents, int timeoutMs);
}
