using System.Runtime.InteropServices;

namespace FastBridge.Interop;

/// <summary>mmap, munmap, memfd_create, ftruncate and file seals: sharing memory with another process by file descriptor (vhost-user).</summary>
internal static unsafe partial class Libc
{
    public const int PROT_READ = 0x1;
    public const int PROT_WRITE = 0x2;
    public const int MAP_SHARED = 0x01;
    public const uint MFD_CLOEXEC = 0x1;
    public const uint MFD_ALLOW_SEALING = 0x2;
    public const int F_ADD_SEALS = 1033;
    public const int F_GET_SEALS = 1034;
    public const int F_SEAL_SEAL = 0x1;
    public const int F_SEAL_SHRINK = 0x2;
    public const int F_SEAL_GROW = 0x4;

    /// <summary>mmap's failure value, (void*)-1.</summary>
    public static readonly nint MapFailed = -1;

    [LibraryImport(LibraryName, EntryPoint = "mmap", SetLastError = true)]
    public static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, long offset);

    [LibraryImport(LibraryName, EntryPoint = "munmap", SetLastError = true)]
    public static partial int Munmap(nint address, nuint length);

    [LibraryImport(LibraryName, EntryPoint = "memfd_create", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int MemfdCreate(string name, uint flags);

    [LibraryImport(LibraryName, EntryPoint = "ftruncate", SetLastError = true)]
    public static partial int Ftruncate(int fd, long length);

    /// <summary>The size of the file behind <paramref name="fd"/> (st_size of fstat, at byte 48 of x86-64's and arm64's struct stat), or -1.</summary>
    public static long FileSize(int fd)
    {
        byte* stat = stackalloc byte[256];
        return Fstat(fd, stat) == 0 ? *(long*)(stat + 48) : -1;
    }

    [LibraryImport(LibraryName, EntryPoint = "fstat", SetLastError = true)]
    private static partial int Fstat(int fd, byte* stat);

    [LibraryImport(LibraryName, EntryPoint = "chown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Chown(string path, int owner, int group);
}
