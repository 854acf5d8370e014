using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FastBridge.Interop;

/// <summary>
/// The libc calls FastBridge makes after setup, each returning the result and errno: the one place where EINTR is
/// retried (a signal that interrupts a call before it did anything is not an error; the runtime's socket engine
/// retries epoll_wait the same way).
/// </summary>
/// <remarks>
/// Thread-safety: errno is per thread, and the generated stubs capture it right after the call, so these are safe
/// from any thread. Safety: each wrapper passes its pointer arguments straight to the kernel; the callers own the
/// memory (pinned or native) for the duration of the call and give lengths that fit it. Performance: no allocation; errno is only read when the call failed.
/// </remarks>
internal static unsafe class Syscall
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static nint Read(int fd, void* buffer, nint count, out int errno)
    {
        nint result;
        do
        {
            result = Libc.Read(fd, buffer, count);
        }
        while (Interrupted(result, out errno));

        return result;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static nint Readv(int fd, IoVec* iov, int iovCount, out int errno)
    {
        nint result;
        do
        {
            result = Libc.Readv(fd, iov, iovCount);
        }
        while (Interrupted(result, out errno));

        return result;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static nint Write(int fd, void* buffer, nint count, out int errno)
    {
        nint result;
        do
        {
            result = Libc.Write(fd, buffer, count);
        }
        while (Interrupted(result, out errno));

        return result;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static nint Writev(int fd, IoVec* iov, int iovCount, out int errno)
    {
        nint result;
        do
        {
            result = Libc.Writev(fd, iov, iovCount);
        }
        while (Interrupted(result, out errno));

        return result;
    }

    public static int Ioctl(int fd, uint request, void* argument, out int errno)
    {
        int result;
        do
        {
            result = Libc.Ioctl(fd, request, argument);
        }
        while (Interrupted(result, out errno));

        return result;
    }

    public static int IoctlValue(int fd, uint request, nint value, out int errno)
    {
        int result;
        do
        {
            result = Libc.IoctlValue(fd, request, value);
        }
        while (Interrupted(result, out errno));

        return result;
    }

    public static int Fcntl(int fd, int command, int argument, out int errno)
    {
        int result;
        do
        {
            result = Libc.Fcntl(fd, command, argument);
        }
        while (Interrupted(result, out errno));

        return result;
    }

    /// <summary>
    /// open(2). EINTR is retried here too (it can happen on opens that wait, such as FIFOs); opening never happens on
    /// the frame path.
    /// </summary>
    public static int Open(string path, int flags, out int errno)
    {
        int result;
        do
        {
            result = Libc.Open(path, flags);
        }
        while (Interrupted(result, out errno));

        return result;
    }

    /// <summary>
    /// epoll_wait(2). An interrupted wait is restarted with the full timeout, as the runtime's SocketAsyncEngine does;
    /// callers that keep a deadline recompute it around the loop anyway.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int EpollWait(int epfd, void* events, int maxEvents, int timeoutMs, out int errno)
    {
        int result;
        do
        {
            result = Libc.EpollWait(epfd, events, maxEvents, timeoutMs);
        }
        while (Interrupted(result, out errno));

        return result;
    }

    /// <summary>O_NONBLOCK on the fd (F_GETFL, then F_SETFL when not set yet); returns 0 or -1 with errno.</summary>
    public static int SetNonBlocking(int fd, out int errno)
    {
        int flags = Fcntl(fd, Libc.F_GETFL, 0, out errno);
        if (flags < 0)
        {
            return flags;
        }

        return (flags & Libc.O_NONBLOCK) != 0 ? 0 : Fcntl(fd, Libc.F_SETFL, flags | Libc.O_NONBLOCK, out errno);
    }

    /// <summary>
    /// The one place EINTR is decided: false when the call succeeded (errno 0) or failed for good (errno set); true
    /// when a signal interrupted it and it must be made again.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Interrupted(long result, out int errno)
    {
        if (result >= 0)
        {
            errno = 0;
            return false;
        }

        errno = Marshal.GetLastPInvokeError();
        return errno == Errno.EINTR;
    }
}
