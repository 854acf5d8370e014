using FastBridge.Interop;

namespace FastBridge.Tests.Infrastructure;

/// <summary>Opens TAP devices the way tooling that hands fds to a switch does: /dev/net/tun plus TUNSETIFF.</summary>
internal static unsafe class TapFds
{
    /// <summary>
    /// A new TAP <paramref name="name"/> (IFF_TAP | IFF_NO_PI, not persistent: it goes away with its last fd).
    /// <paramref name="inheritable"/> leaves FD_CLOEXEC off, so a child process started now gets the same fd number.
    /// </summary>
    public static int Open(string name, bool inheritable = false)
    {
        int fd = Syscall.Open(Tun.DevicePath, Libc.O_RDWR | (inheritable ? 0 : Libc.O_CLOEXEC), out int errno);
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
}
