using System.Runtime.InteropServices;

namespace FastBridge.Interop;

/// <summary>kcmp(2) KCMP_FILE: whether two descriptors of this process are the same open file (one dup'd from the other).</summary>
internal static partial class Libc
{
    private const int KCMP_FILE = 0;

    /// <summary>1 when <paramref name="fd1"/> and <paramref name="fd2"/> are one open file, 0 when not, -1 when the kernel cannot say (no kcmp).</summary>
    public static int SameOpenFile(int fd1, int fd2)
    {
        long number = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => 312,
            Architecture.Arm64 => 272,
            _ => -1,
        };
        if (number < 0)
        {
            return -1;
        }

        int pid = Environment.ProcessId;
        long result = SyscallKcmp(number, pid, pid, KCMP_FILE, fd1, fd2, 0);
        return result < 0 ? -1 : result == 0 ? 1 : 0;
    }

    /// <summary>syscall(2) with kcmp's arguments (glibc has no kcmp wrapper).</summary>
    [LibraryImport(LibraryName, EntryPoint = "syscall", SetLastError = true)]
    private static partial long SyscallKcmp(long number, long pid1, long pid2, long type, long fd1, long fd2, long unused);
}
