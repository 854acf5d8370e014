using FastBridge.Interop;

namespace FastBridge.Ports;

/// <summary>
/// Adopting the queue fds of one multi-queue TAP that another program opened (a hypervisor's tooling: libvirt opens
/// vnetN's queues itself when a guest has multiqueue virtio-net), instead of <see cref="Open"/> opening them.
/// </summary>
public sealed unsafe partial class TapPort
{
    /// <summary>
    /// Wraps the queue fds of one multi-queue TAP (each attached with TUNSETIFF and IFF_MULTI_QUEUE to the same device)
    /// as one port with <paramref name="fds"/>.Length queues, queue q being <paramref name="fds"/>[q]; one fd is
    /// <see cref="Adopt(int, string?, bool)"/>. The checks and the ownership rules are Adopt's, for every fd; on failure
    /// every fd is left open and the caller still owns them all.
    /// </summary>
    /// <exception cref="ArgumentException">No fd, more than 64, or a negative one.</exception>
    /// <exception cref="TapException">
    /// An fd is not an attached TAP fd with IFF_NO_PI, the fds are of different devices, a device without
    /// IFF_MULTI_QUEUE, or the same fd (or the same open queue) is given twice.
    /// </exception>
    public static TapPort AdoptQueues(ReadOnlySpan<int> fds, string? name = null, bool ownsFds = true)
    {
        if (fds.IsEmpty || fds.Length > MaxQueues)
        {
            throw new ArgumentException($"a TAP port has 1 to {MaxQueues} queues, not {fds.Length}", nameof(fds));
        }

        if (fds.Length == 1)
        {
            return Adopt(fds[0], name, ownsFds);
        }

        if (name is not null)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(name);
        }

        string deviceName = CheckQueueFds(fds, out int vnetHeaderSize);
        int[] own = new int[fds.Length];
        int made = 0;
        try
        {
            for (; made < fds.Length; made++)
            {
                int fd = fds[made];
                if (Syscall.SetNonBlocking(fd, out int errno) < 0)
                {
                    throw new TapException($"cannot make fd {fd} ('{deviceName}') non-blocking: {Errno.Describe(errno)}", errno, deviceName);
                }

                own[made] = fd;
                if (!ownsFds && (own[made] = Syscall.Fcntl(fd, Libc.F_DUPFD_CLOEXEC, 0, out errno)) < 0)
                {
                    throw new TapException($"cannot duplicate fd {fd} ('{deviceName}'): {Errno.Describe(errno)}", errno, deviceName);
                }
            }
        }
        catch
        {
            for (int q = 0; q < made && !ownsFds; q++)
            {
                Libc.Close(own[q]); // only our duplicates: the caller's fds stay open
            }

            throw;
        }

        string portName = name ?? deviceName;
        var port = new TapPort(portName, deviceName, new FileDescriptor(own[0], ownsHandle: true), createdDevice: false, vnetHeaderSize)
        {
            _queueFrames = new long[fds.Length * QueueStride],
        };
        var queues = new TapPort[fds.Length - 1];
        for (int q = 1; q < fds.Length; q++)
        {
            queues[q - 1] = new TapPort(portName, deviceName, new FileDescriptor(own[q], ownsHandle: true), createdDevice: false, vnetHeaderSize) { _queueOf = port };
        }

        port._queues = queues;
        return port;
    }

    /// <summary>Adopt's checks on every fd, and that they are distinct queues of one multi-queue TAP; returns its name.</summary>
    private static string CheckQueueFds(ReadOnlySpan<int> fds, out int vnetHeaderSize)
    {
        string list = string.Join(",", fds.ToArray());
        string? deviceName = null;
        vnetHeaderSize = 0;
        for (int q = 0; q < fds.Length; q++)
        {
            int fd = fds[q];
            ArgumentOutOfRangeException.ThrowIfNegative(fd, nameof(fds));
            for (int p = 0; p < q; p++)
            {
                if (fds[p] == fd)
                {
                    throw new TapException($"cannot adopt fds {list}: fd {fd} is given twice (each queue fd once)", Errno.EINVAL, deviceName);
                }
            }

            IfReq info = default;
            if (Syscall.Ioctl(fd, Tun.TUNGETIFF, &info, out int errno) < 0)
            {
                throw new TapException(AdoptErrorMessage(fd, errno), errno, deviceName);
            }

            string device = info.GetName();
            if ((info.Flags & Tun.IFF_TAP) == 0 || (info.Flags & Tun.IFF_NO_PI) == 0)
            {
                using TapPort single = Adopt(fd, ownsFd: false); // throws Adopt's message for what is wrong with it
            }

            if ((info.Flags & Tun.IFF_MULTI_QUEUE) == 0)
            {
                throw new TapException($"cannot adopt fds {list} as the queues of one TAP: fd {fd} is of '{device}', which is not a multi-queue TAP (IFF_MULTI_QUEUE); a single-queue TAP has one fd: hand over that one alone", Errno.EINVAL, device);
            }

            if (deviceName is not null && device != deviceName)
            {
                throw new TapException($"cannot adopt fds {list} as the queues of one TAP: fd {fds[0]} is a queue of '{deviceName}', fd {fd} of '{device}'", Errno.EINVAL, deviceName);
            }

            for (int p = 0; p < q; p++)
            {
                if (Libc.SameOpenFile(fds[p], fd) == 1)
                {
                    throw new TapException($"cannot adopt fds {list}: fd {fds[p]} and fd {fd} are the same queue of '{device}' (one dup'd from the other); each queue is an open of /dev/net/tun of its own", Errno.EINVAL, device);
                }
            }

            int size = 0;
            if ((info.Flags & Tun.IFF_VNET_HDR) != 0 && Syscall.Ioctl(fd, Tun.TUNGETVNETHDRSZ, &size, out errno) < 0)
            {
                throw new TapException($"cannot adopt fd {fd}: TAP '{device}' has IFF_VNET_HDR but TUNGETVNETHDRSZ failed: {Errno.Describe(errno)}", errno, device);
            }

            if (size != 0 && size is < OffloadHeaderMin or > MaxVnetHeaderSize)
            {
                throw new TapException($"cannot adopt fd {fd}: TAP '{device}' uses a {size}-byte virtio-net header; this port handles {OffloadHeaderMin} to {MaxVnetHeaderSize}", Errno.EINVAL, device);
            }

            deviceName = device;
            vnetHeaderSize = size; // the device's: the same on every queue
        }

        return deviceName!;
    }

    private const int OffloadHeaderMin = Offloads.OffloadInfo.VirtioFieldsSize;
}
