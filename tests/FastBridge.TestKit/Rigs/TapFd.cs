using System.Runtime.InteropServices;
using FastBridge.Interop;

namespace FastBridge.Tests.Infrastructure;

/// <summary>
/// TAP file descriptors the test opens itself, as an embedding program (a hypervisor) would before handing them to
/// <see cref="Ports.TapPort.Adopt"/>, and the fd juggling a buggy or hostile embedder can do to them.
/// </summary>
internal static unsafe partial class TapFd
{
    /// <summary>Opens /dev/net/tun and creates TAP <paramref name="name"/> (IFF_TAP | IFF_NO_PI, not persistent).</summary>
    public static int Open(string name)
    {
        int fd = Syscall.Open(Tun.DevicePath, Libc.O_RDWR | Libc.O_CLOEXEC, out int errno);
        Assert.True(fd >= 0, $"open {Tun.DevicePath}: errno {errno}");
        IfReq request = IfReq.ForName(name);
        request.Flags = Tun.IFF_TAP | Tun.IFF_NO_PI;
        if (Syscall.Ioctl(fd, Tun.TUNSETIFF, &request, out errno) < 0)
        {
            Libc.Close(fd);
            Assert.Fail($"TUNSETIFF {name}: errno {errno}");
        }

        return fd;
    }

    /// <summary>dup2: makes <paramref name="target"/> refer to what <paramref name="source"/> refers to, closing it first.</summary>
    public static void Duplicate(int source, int target)
    {
        if (Dup2(source, target) < 0)
        {
            Assert.Fail($"dup2({source}, {target}): errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [LibraryImport("libc", EntryPoint = "dup2", SetLastError = true)]
    private static partial int Dup2(int oldFd, int newFd);
}
