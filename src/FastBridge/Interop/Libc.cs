namespace FastBridge.Interop;

/// <summary>
/// Raw libc imports, one file per family (<c>Libc.File.cs</c>, <c>Libc.Ioctl.cs</c>, ...). Each returns what libc
/// returns (-1 on failure) and records errno for <see cref="System.Runtime.InteropServices.Marshal.GetLastPInvokeError"/>;
/// callers on the frame path go through <see cref="Syscall"/>, which reads errno and retries EINTR in one place.
/// </summary>
/// <remarks>
/// Linux only (x86-64 and arm64: the constants are the generic ones of those ABIs). The runtime maps the library name
/// "libc" to the C library itself (libc.so.6 on glibc), so no versioned name is needed.
/// All imports are source-generated (<c>LibraryImport</c>) with blittable arguments: a call allocates nothing.
/// Safety: the imports taking pointers are declared <c>unsafe</c> in their family files; each caller keeps the memory a
/// pointer reaches pinned or native, and at least the length it passes, until the call returns.
/// </remarks>
internal static partial class Libc
{
    private const string LibraryName = "libc";
}
