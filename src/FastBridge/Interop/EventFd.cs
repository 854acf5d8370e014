using System.Runtime.InteropServices;

namespace FastBridge.Interop;

/// <summary>
/// A non-blocking eventfd used as a doorbell: <see cref="Signal"/> from any thread makes <see cref="Fd"/> readable until
/// the owner calls <see cref="Drain"/>.
/// </summary>
/// <remarks>
/// Design: the worker puts <see cref="Fd"/> into its <see cref="Epoll"/> set; ports without a poll fd and the control
/// plane ring it. Signals coalesce: many signals before a drain wake the worker once.
/// Thread-safety: <see cref="Signal"/> from any number of threads; <see cref="Drain"/> from the owner.
/// Safety: the only pointers are to an 8-byte local for the duration of one read or write.
/// Performance: one 8-byte write or read, no allocation. A signal that finds the counter saturated (EAGAIN) is already
/// pending, so it is dropped.
/// </remarks>
internal sealed unsafe class EventFd : IDisposable
{
    private readonly FileDescriptor _fd;

    public EventFd()
    {
        int fd = Libc.EventFd(0, Libc.EFD_NONBLOCK | Libc.EFD_CLOEXEC);
        if (fd < 0)
        {
            Errno.ThrowIOException("eventfd", Marshal.GetLastPInvokeError());
        }

        _fd = new FileDescriptor(fd, ownsHandle: true);
    }

    public int Fd => _fd.Value;

    /// <summary>Adds 1 to the counter, making the fd readable.</summary>
    public void Signal()
    {
        ulong one = 1;
        Syscall.Write(_fd.Value, &one, sizeof(ulong), out _);
    }

    /// <summary>Resets the counter; returns true when there had been at least one signal since the last drain.</summary>
    public bool Drain()
    {
        ulong value;
        return Syscall.Read(_fd.Value, &value, sizeof(ulong), out _) == sizeof(ulong);
    }

    public void Dispose() => _fd.Dispose();
}
