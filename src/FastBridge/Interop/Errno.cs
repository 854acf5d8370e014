using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;

namespace FastBridge.Interop;

/// <summary>Linux errno values FastBridge tells apart (asm-generic/errno-base.h, errno.h).</summary>
internal static class Errno
{
    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int EINTR = 4;
    public const int EIO = 5;
    public const int ENXIO = 6;
    public const int EBADF = 9;
    public const int EAGAIN = 11;
    public const int ENOMEM = 12;
    public const int EACCES = 13;
    public const int EFAULT = 14;
    public const int EBUSY = 16;
    public const int EEXIST = 17;
    public const int ENODEV = 19;
    public const int EINVAL = 22;
    public const int EMFILE = 24;
    public const int ENOTTY = 25;
    public const int ENOSPC = 28;
    public const int EBADFD = 77;
    public const int EMSGSIZE = 90;
    public const int EOPNOTSUPP = 95;
    public const int ENETDOWN = 100;
    public const int ENOBUFS = 105;
    public const int ECANCELED = 125;

    /// <summary>EWOULDBLOCK is EAGAIN on Linux.</summary>
    public const int EWOULDBLOCK = EAGAIN;

    /// <summary>strerror text plus the symbolic number, for control-plane messages (allocates).</summary>
    public static string Describe(int errno) => $"{Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})";

    /// <summary>A system call failed where no caller can recover (a bug or a broken descriptor), off the frame path.</summary>
    [DoesNotReturn]
    public static void ThrowIOException(string operation, int errno) =>
        throw new IOException($"{operation} failed: {Describe(errno)}");
}
