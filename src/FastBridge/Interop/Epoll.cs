using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FastBridge.Interop;

/// <summary>
/// An epoll instance with a preallocated native event array: <see cref="Wait"/> fills it, <see cref="TokenAt"/> and
/// <see cref="EventsAt"/> read it. Each registered fd carries an int token in the event's 64-bit data word.
/// </summary>
/// <remarks>
/// Design: the worker loop registers its ports' poll fds and an <see cref="EventFd"/> under small integer tokens (port
/// slot numbers), so a ready event maps to a port with an array index, no dictionary.
/// Thread-safety: <see cref="Wait"/> and the readers of its results belong to the one worker thread; epoll itself allows
/// <see cref="Add"/>/<see cref="Remove"/> from other threads while a wait is in progress.
/// Safety: the event array holds exactly the capacity given to epoll_wait, indexes into it are checked against the
/// count the last wait returned, and it is freed only in Dispose, after the owning worker stopped.
/// Performance: the event array is native memory allocated once; <see cref="Wait"/> is one epoll_wait with no
/// allocation and no marshalling.
/// </remarks>
internal sealed unsafe class Epoll : IDisposable
{
    private readonly FileDescriptor _fd;
    private readonly byte* _events;
    private readonly int _capacity;
    private int _disposed;

    public Epoll(int capacity = 64)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        int fd = Libc.EpollCreate1(Libc.EPOLL_CLOEXEC);
        if (fd < 0)
        {
            Errno.ThrowIOException("epoll_create1", Marshal.GetLastPInvokeError());
        }

        _fd = new FileDescriptor(fd, ownsHandle: true);
        _capacity = capacity;
        _events = (byte*)NativeMemory.AllocZeroed((nuint)(capacity * EpollEventLayout.Size));
    }

    /// <summary>Most events one <see cref="Wait"/> returns.</summary>
    public int Capacity => _capacity;

    /// <summary>The epoll descriptor itself (it can be nested in another epoll set).</summary>
    public int Fd => _fd.Value;

    /// <summary>Watches <paramref name="fd"/> for <paramref name="events"/> (level-triggered EPOLLIN by default).</summary>
    public void Add(int fd, int token, uint events = Libc.EPOLLIN) => Control(Libc.EPOLL_CTL_ADD, fd, token, events);

    /// <summary>Changes what <paramref name="fd"/> is watched for, or its token.</summary>
    public void Modify(int fd, int token, uint events = Libc.EPOLLIN) => Control(Libc.EPOLL_CTL_MOD, fd, token, events);

    /// <summary>
    /// Stops watching <paramref name="fd"/>; returns false when it was not watched or is already closed (ENOENT, EBADF:
    /// closing an fd removes it from every epoll set by itself).
    /// </summary>
    public bool Remove(int fd)
    {
        if (Libc.EpollCtl(_fd.Value, Libc.EPOLL_CTL_DEL, fd, null) == 0)
        {
            return true;
        }

        int errno = Marshal.GetLastPInvokeError();
        if (errno is Errno.ENOENT or Errno.EBADF)
        {
            return false;
        }

        Errno.ThrowIOException("epoll_ctl(EPOLL_CTL_DEL)", errno);
        return false;
    }

    /// <summary>
    /// Waits up to <paramref name="timeoutMs"/> (-1: forever, 0: just look) and returns how many events are ready;
    /// read them with <see cref="TokenAt"/> and <see cref="EventsAt"/> for i below the count.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Wait(int timeoutMs)
    {
        int count = Syscall.EpollWait(_fd.Value, _events, _capacity, timeoutMs, out int errno);
        if (count < 0)
        {
            Errno.ThrowIOException("epoll_wait", errno);
        }

        return count;
    }

    /// <summary>The token of ready event <paramref name="index"/> of the last <see cref="Wait"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int TokenAt(int index)
    {
        CheckIndex(index);
        return (int)Unsafe.ReadUnaligned<ulong>(_events + (index * EpollEventLayout.Size) + EpollEventLayout.DataOffset);
    }

    /// <summary>The EPOLL* mask of ready event <paramref name="index"/> of the last <see cref="Wait"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint EventsAt(int index)
    {
        CheckIndex(index);
        return Unsafe.ReadUnaligned<uint>(_events + (index * EpollEventLayout.Size));
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _fd.Dispose();
        NativeMemory.Free(_events);
    }

    private void Control(int op, int fd, int token, uint events)
    {
        byte* evnt = stackalloc byte[16];
        Unsafe.WriteUnaligned(evnt, events);
        Unsafe.WriteUnaligned(evnt + EpollEventLayout.DataOffset, (ulong)(uint)token);
        if (Libc.EpollCtl(_fd.Value, op, fd, evnt) != 0)
        {
            Errno.ThrowIOException(op == Libc.EPOLL_CTL_ADD ? "epoll_ctl(EPOLL_CTL_ADD)" : "epoll_ctl(EPOLL_CTL_MOD)", Marshal.GetLastPInvokeError());
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CheckIndex(int index)
    {
        if ((uint)index >= (uint)_capacity)
        {
            ThrowHelper.ThrowIndexOutOfRange();
        }
    }
}
