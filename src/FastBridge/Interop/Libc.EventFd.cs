using System.Runtime.InteropServices;

namespace FastBridge.Interop;

/// <summary>eventfd; it is read and written with <see cref="Read"/> and <see cref="Write"/> of 8 bytes.</summary>
internal static partial class Libc
{
    public const int EFD_NONBLOCK = 0x800;
    public const int EFD_CLOEXEC = 0x80000;

    [LibraryImport(LibraryName, EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initialValue, int flags);
}
