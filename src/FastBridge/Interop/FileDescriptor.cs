using System.Runtime.InteropServices;

namespace FastBridge.Interop;

/// <summary>
/// A file descriptor owned (or only borrowed) by managed code: releasing the handle closes an owned fd exactly once,
/// even if the owner forgot to dispose it.
/// </summary>
/// <remarks>
/// close() is not retried on EINTR: Linux releases the descriptor before it can be interrupted, so a retry could close
/// a descriptor another thread just opened.
/// </remarks>
internal sealed class FileDescriptor : SafeHandle
{
    public FileDescriptor()
        : base(-1, ownsHandle: true)
    {
    }

    public FileDescriptor(int fd, bool ownsHandle)
        : base(-1, ownsHandle)
    {
        SetHandle(fd);
    }

    public override bool IsInvalid => (nint)handle < 0;

    /// <summary>The descriptor number; valid while the handle is not closed.</summary>
    public int Value => (int)(nint)handle;

    protected override bool ReleaseHandle() => Libc.Close((int)(nint)handle) == 0;
}
