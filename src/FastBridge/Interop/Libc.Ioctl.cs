using System.Runtime.InteropServices;

namespace FastBridge.Interop;

/// <summary>
/// ioctl, declared with a pointer argument and with a plain value argument. ioctl is variadic in C; on x86-64 and
/// arm64 Linux a variadic argument in a register is passed like a fixed one, so a fixed-signature import is exact.
/// </summary>
internal static unsafe partial class Libc
{
    [LibraryImport(LibraryName, EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(int fd, nuint request, void* argument);

    /// <summary>For requests that take an integer by value (TUNSETPERSIST, TUNSETOFFLOAD).</summary>
    [LibraryImport(LibraryName, EntryPoint = "ioctl", SetLastError = true)]
    public static partial int IoctlValue(int fd, nuint request, nint value);
}
