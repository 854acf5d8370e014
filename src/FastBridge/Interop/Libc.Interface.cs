using System.Runtime.InteropServices;

namespace FastBridge.Interop;

/// <summary>if_nametoindex.</summary>
internal static partial class Libc
{
    /// <summary>Index of the interface of that name in the calling thread's namespace, or 0 (errno ENODEV) if none.</summary>
    [LibraryImport(LibraryName, EntryPoint = "if_nametoindex", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial uint IfNameToIndex(string name);
}
