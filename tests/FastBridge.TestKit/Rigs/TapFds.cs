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

    /// <summary>
    /// A new multi-queue TAP <paramref name="name"/> with <paramref name="queues"/> queue fds (each an open of
    /// /dev/net/tun attached with IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE), as libvirt opens vnetN for a guest with
    /// multiqueue virtio-net; not persistent: it goes away with the last fd.
    /// </summary>
    public static int[] OpenQueues(string name, int queues, bool inheritable = false)
    {
        int[] fds = new int[queues];
        for (int q = 0; q < queues; q++)
        {
            int fd = Syscall.Open(Tun.DevicePath, Libc.O_RDWR | (inheritable ? 0 : Libc.O_CLOEXEC), out int errno);
            Assert.True(fd >= 0, $"open {Tun.DevicePath}: errno {errno}");
            IfReq request = IfReq.ForName(name);
            request.Flags = Tun.IFF_TAP | Tun.IFF_NO_PI | Tun.IFF_MULTI_QUEUE;
            if (Syscall.Ioctl(fd, Tun.TUNSETIFF, &request, out errno) < 0)
            {
                Libc.Close(fd);
                Close(fds.AsSpan(0, q));
                Assert.Fail($"TUNSETIFF {name} (multi-queue, queue {q}): errno {errno}");
            }

            fds[q] = fd;
        }

        return fds;
    }

    /// <summary>Closes each of <paramref name="fds"/>.</summary>
    public static void Close(ReadOnlySpan<int> fds)
    {
        foreach (int fd in fds)
        {
            Libc.Close(fd);
        }
    }

    /// <summary>Whether <paramref name="fd"/> is an open descriptor of this process.</summary>
    public static bool IsOpen(int fd) => Syscall.Fcntl(fd, Libc.F_GETFL, 0, out _) >= 0;
}
