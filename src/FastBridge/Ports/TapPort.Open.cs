using FastBridge.Interop;
using FastBridge.Offloads;

namespace FastBridge.Ports;

/// <summary>Setting up: creating or attaching to a device, adopting an fd, and the error messages of both.</summary>
public sealed unsafe partial class TapPort
{
    /// <summary>
    /// Opens the TAP interface <paramref name="name"/>: creates it (IFF_TAP | IFF_NO_PI, not persistent) when no
    /// interface of that name exists in the current namespace, else attaches to that existing TAP (a persistent one
    /// made with <c>ip tuntap add</c>, for example). Brings the link up unless the options say not to. With
    /// <see cref="TapPortOptions.Offloads"/> (the default) it adds IFF_VNET_HDR and enables checksum and segmentation
    /// offloads (see <see cref="EnableOffloads"/>).
    /// </summary>
    /// <exception cref="ArgumentException">The name is not a valid interface name.</exception>
    /// <exception cref="TapException">The device could not be opened; the message says why.</exception>
    public static TapPort Open(string name, TapPortOptions? options = null)
    {
        ValidateInterfaceName(name);
        options ??= TapPortOptions.Default;
        if (options.Queues != 1)
        {
            return OpenQueues(name, options); // TapPort.MultiQueue.cs
        }

        bool existed = Libc.IfNameToIndex(name) != 0;
        int fd = Syscall.Open(Tun.DevicePath, Libc.O_RDWR | Libc.O_CLOEXEC, out int errno);
        if (fd < 0)
        {
            throw new TapException(DeviceFileErrorMessage(errno), errno, name);
        }

        var handle = new FileDescriptor(fd, ownsHandle: true);
        try
        {
            IfReq request = IfReq.ForName(name);
            request.Flags = (short)(options.TunFlags | s_napiFlag); // TapPort.Napi.cs
            if (Syscall.Ioctl(fd, Tun.TUNSETIFF, &request, out errno) < 0)
            {
                throw new TapException(OpenErrorMessage(name, errno, existed), errno, name);
            }

            string deviceName = request.GetName();

            // A device this call created is not persistent; one that existed before either is persistent or had
            // another fd attached (TUNSETIFF would have failed with EBUSY otherwise). Checking both closes the race
            // with another process creating the same name between the look-up and TUNSETIFF.
            IfReq attached = default;
            bool persistent = Syscall.Ioctl(fd, Tun.TUNGETIFF, &attached, out _) == 0 && (attached.Flags & Tun.IFF_PERSIST) != 0;
            bool created = !existed && !persistent;

            if (Syscall.SetNonBlocking(fd, out errno) < 0)
            {
                throw new TapException($"cannot make TAP device '{deviceName}' non-blocking: {Errno.Describe(errno)}", errno, deviceName);
            }

            int vnetHeaderSize = options.Offloads ? EnableOffloads(fd, deviceName) : DisableOffloads(fd);
            bool wasDown = options.BringUp && BringUp(deviceName);
            return new TapPort(deviceName, deviceName, handle, created, vnetHeaderSize)
            {
                // An existing device found administratively down is set down again when the port lets go of it.
                _restoreDownIfIndex = wasDown && !created ? (int)Libc.IfNameToIndex(deviceName) : 0,
            };
        }
        catch
        {
            handle.Dispose(); // a device this call created disappears with it
            throw;
        }
    }

    /// <summary>
    /// Wraps a TAP fd that an embedding program already opened (and attached with TUNSETIFF). The device's name is
    /// read with TUNGETIFF and becomes the port's name unless <paramref name="name"/> is given. The fd is made
    /// non-blocking. With <paramref name="ownsFd"/> the fd is the port's from now on (it closes it on dispose; the caller
    /// must not touch it again). Without, the port takes its own duplicate (F_DUPFD_CLOEXEC), so the caller may close its
    /// fd whenever it likes: the device lives on with the port's reference, and a number the caller's next open reuses
    /// is never read or written by the port. On failure the fd is left open and untouched except possibly O_NONBLOCK:
    /// the caller still owns it.
    /// </summary>
    /// <remarks>
    /// An fd opened with IFF_VNET_HDR is used with its header (size read with TUNGETVNETHDRSZ): the port then accepts
    /// offloads (<see cref="AcceptsOffloads"/>). Which offloads the kernel may send is the owner's TUNSETOFFLOAD choice,
    /// left as it is; whatever arrives is validated, and the port can write any of them back.
    /// </remarks>
    /// <exception cref="TapException">The fd is not an attached TAP fd with IFF_NO_PI.</exception>
    public static TapPort Adopt(int fd, string? name = null, bool ownsFd = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fd);
        if (name is not null)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(name);
        }

        IfReq info = default;
        if (Syscall.Ioctl(fd, Tun.TUNGETIFF, &info, out int errno) < 0)
        {
            throw new TapException(AdoptErrorMessage(fd, errno), errno, name);
        }

        string deviceName = info.GetName();
        if ((info.Flags & Tun.IFF_TAP) == 0)
        {
            throw new TapException($"cannot adopt fd {fd}: '{deviceName}' is a TUN device (IP packets), not a TAP (Ethernet frames)", Errno.EINVAL, deviceName);
        }

        if ((info.Flags & Tun.IFF_NO_PI) == 0)
        {
            throw new TapException($"cannot adopt fd {fd}: TAP '{deviceName}' was opened without IFF_NO_PI, so each frame carries a 4-byte prefix this port does not handle", Errno.EINVAL, deviceName);
        }

        int vnetHeaderSize = 0;
        if ((info.Flags & Tun.IFF_VNET_HDR) != 0)
        {
            if (Syscall.Ioctl(fd, Tun.TUNGETVNETHDRSZ, &vnetHeaderSize, out errno) < 0)
            {
                throw new TapException($"cannot adopt fd {fd}: TAP '{deviceName}' has IFF_VNET_HDR but TUNGETVNETHDRSZ failed: {Errno.Describe(errno)}", errno, deviceName);
            }

            if (vnetHeaderSize is < OffloadInfo.VirtioFieldsSize or > MaxVnetHeaderSize)
            {
                throw new TapException($"cannot adopt fd {fd}: TAP '{deviceName}' uses a {vnetHeaderSize}-byte virtio-net header; this port handles {OffloadInfo.VirtioFieldsSize} to {MaxVnetHeaderSize}", Errno.EINVAL, deviceName);
            }
        }

        if (Syscall.SetNonBlocking(fd, out errno) < 0)
        {
            throw new TapException($"cannot make fd {fd} ('{deviceName}') non-blocking: {Errno.Describe(errno)}", errno, deviceName);
        }

        int own = fd;
        if (!ownsFd && (own = Syscall.Fcntl(fd, Libc.F_DUPFD_CLOEXEC, 0, out errno)) < 0)
        {
            throw new TapException($"cannot duplicate fd {fd} ('{deviceName}'): {Errno.Describe(errno)}", errno, deviceName);
        }

        return new TapPort(name ?? deviceName, deviceName, new FileDescriptor(own, ownsHandle: true), createdDevice: false, vnetHeaderSize);
    }

    /// <summary>
    /// Wraps an fd that, like a TAP fd, gives one whole frame per read and takes one per write, without checking that
    /// it is a TAP. For tests: a datagram socketpair stands in for a TAP where the kernel cannot be made to produce a
    /// frame (a frame over 64 KiB: a TAP's MTU stops at 65521).
    /// </summary>
    internal static TapPort WrapUnchecked(int fd, string name, bool ownsFd, int vnetHeaderSize = 0)
    {
        if (Syscall.SetNonBlocking(fd, out int errno) < 0)
        {
            throw new TapException($"cannot make fd {fd} non-blocking: {Errno.Describe(errno)}", errno, name);
        }

        return new TapPort(name, name, new FileDescriptor(fd, ownsFd), createdDevice: false, vnetHeaderSize);
    }

    /// <summary>
    /// After TUNSETIFF with IFF_VNET_HDR: a 12-byte header (TUNSETVNETHDRSZ; struct virtio_net_hdr_v1, the 10 classic
    /// fields plus num_buffers, the size virtio 1.0 devices, QEMU and vhost use) and TUNSETOFFLOAD with checksum, TSO4,
    /// TSO6 and, where the kernel has them (6.2+), USO4/USO6. Returns the header size.
    /// </summary>
    private static int EnableOffloads(int fd, string deviceName)
    {
        int size = VnetHeaderSizeOpened;
        if (Syscall.Ioctl(fd, Tun.TUNSETVNETHDRSZ, &size, out int errno) < 0)
        {
            throw new TapException($"cannot set the virtio-net header size of TAP device '{deviceName}': {Errno.Describe(errno)}", errno, deviceName);
        }

        const uint Tcp = Tun.TUN_F_CSUM | Tun.TUN_F_TSO4 | Tun.TUN_F_TSO6;
        if (Syscall.IoctlValue(fd, Tun.TUNSETOFFLOAD, (nint)(Tcp | Tun.TUN_F_USO4 | Tun.TUN_F_USO6), out errno) < 0
            && Syscall.IoctlValue(fd, Tun.TUNSETOFFLOAD, (nint)Tcp, out errno) < 0)
        {
            throw new TapException($"cannot enable offloads (TUNSETOFFLOAD) on TAP device '{deviceName}': {Errno.Describe(errno)}", errno, deviceName);
        }

        return size;
    }

    /// <summary>
    /// Clears offloads an earlier user of a persistent device may have left on (TUNSETOFFLOAD 0): without a virtio-net
    /// header the port must only ever get complete, MTU-sized frames. A failure is ignored (nothing to clear). Returns 0.
    /// </summary>
    private static int DisableOffloads(int fd)
    {
        Syscall.IoctlValue(fd, Tun.TUNSETOFFLOAD, 0, out _);
        return 0;
    }

    /// <summary>The virtio-net header size <see cref="Open"/> sets up with offloads on.</summary>
    internal const int VnetHeaderSizeOpened = 12;

    /// <summary>What this kernel's TUN/TAP driver supports (TUNGETFEATURES on a fresh /dev/net/tun fd; no privilege needed).</summary>
    /// <exception cref="TapException">/dev/net/tun cannot be opened.</exception>
    public static TapFeatures QueryFeatures()
    {
        int fd = Syscall.Open(Tun.DevicePath, Libc.O_RDWR | Libc.O_CLOEXEC, out int errno);
        if (fd < 0)
        {
            throw new TapException(DeviceFileErrorMessage(errno), errno);
        }

        using var handle = new FileDescriptor(fd, ownsHandle: true);
        uint features = 0;
        if (Syscall.Ioctl(fd, Tun.TUNGETFEATURES, &features, out errno) < 0)
        {
            throw new TapException($"TUNGETFEATURES failed: {Errno.Describe(errno)}", errno);
        }

        return (TapFeatures)features;
    }

    /// <summary>
    /// Throws <see cref="ArgumentException"/> unless <paramref name="name"/> is a name the kernel accepts: 1 to 15
    /// printable ASCII characters, no '/', ':' or whitespace, not "." or "..". The message names the interface and is
    /// shown to users as it is (the CLI, the control protocol), so it carries no "(Parameter 'name')" suffix.
    /// </summary>
    internal static void ValidateInterfaceName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length is 0 or > IfReq.NameSize - 1)
        {
            throw new ArgumentException($"interface name '{name}' must be 1 to {IfReq.NameSize - 1} characters long");
        }

        if (name is "." or "..")
        {
            throw new ArgumentException($"interface name '{name}' is not allowed");
        }

        foreach (char c in name)
        {
            if (c is <= ' ' or >= (char)0x7f or '/' or ':')
            {
                throw new ArgumentException($"interface name '{name}' contains '{c}': use printable ASCII without '/', ':' or whitespace");
            }
        }
    }

    /// <summary>
    /// The interface index of an attached device that <see cref="Open"/> found down and set up, so that dispose sets
    /// it down again (0: nothing to restore). README promises that an attached device is left as it was found.
    /// </summary>
    private int _restoreDownIfIndex;

    /// <summary>
    /// Sets an attached device that was down before <see cref="Open"/> down again. Best effort: the device may have
    /// been deleted, moved to another namespace or renamed (the index no longer matches its name), and then it is left
    /// alone.
    /// </summary>
    private void RestoreLinkState()
    {
        int index = _restoreDownIfIndex;
        if (index == 0 || Libc.IfNameToIndex(DeviceName) != (uint)index)
        {
            return;
        }

        int socket = Libc.Socket(Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
        if (socket < 0)
        {
            return;
        }

        using var handle = new FileDescriptor(socket, ownsHandle: true);
        IfReq request = IfReq.ForName(DeviceName);
        if (Syscall.Ioctl(socket, Libc.SIOCGIFFLAGS, &request, out _) == 0 && (request.Flags & Libc.IFF_UP) != 0)
        {
            request.Flags &= unchecked((short)~Libc.IFF_UP);
            Syscall.Ioctl(socket, Libc.SIOCSIFFLAGS, &request, out _);
        }
    }

    /// <summary>
    /// Sets IFF_UP on the interface in the current namespace (SIOCGIFFLAGS, then SIOCSIFFLAGS when needed). Returns
    /// true when it was down (and is now up).
    /// </summary>
    private static bool BringUp(string name)
    {
        int socket = Libc.Socket(Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
        if (socket < 0)
        {
            int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            throw new TapException($"cannot bring TAP device '{name}' up: socket() failed: {Errno.Describe(errno)}", errno, name);
        }

        using var handle = new FileDescriptor(socket, ownsHandle: true);
        IfReq request = IfReq.ForName(name);
        if (Syscall.Ioctl(socket, Libc.SIOCGIFFLAGS, &request, out int error) < 0)
        {
            throw new TapException($"cannot bring TAP device '{name}' up: reading its flags failed: {Errno.Describe(error)}", error, name);
        }

        if ((request.Flags & Libc.IFF_UP) != 0)
        {
            return false;
        }

        request.Flags |= Libc.IFF_UP;
        if (Syscall.Ioctl(socket, Libc.SIOCSIFFLAGS, &request, out error) < 0)
        {
            string why = error is Errno.EPERM or Errno.EACCES
                ? "permission denied (needs CAP_NET_ADMIN; run as root or grant the capability)"
                : Errno.Describe(error);
            throw new TapException($"cannot bring TAP device '{name}' up: {why}", error, name);
        }

        return true;
    }

    /// <summary>The message for a failed open of /dev/net/tun.</summary>
    internal static string DeviceFileErrorMessage(int errno) => errno switch
    {
        Errno.ENOENT => $"{Tun.DevicePath} does not exist (TUN/TAP driver not available)",
        Errno.ENODEV or Errno.ENXIO => $"{Tun.DevicePath} exists but the TUN/TAP driver is not loaded (modprobe tun)",
        Errno.EPERM or Errno.EACCES => $"cannot open {Tun.DevicePath}: permission denied (TAP devices need root, or CAP_NET_ADMIN and read-write access to {Tun.DevicePath})",
        _ => $"cannot open {Tun.DevicePath}: {Errno.Describe(errno)}",
    };

    /// <summary>The message for a failed TUNSETIFF on <paramref name="name"/>.</summary>
    internal static string OpenErrorMessage(string name, int errno, bool deviceExists)
    {
        string verb = deviceExists ? "attach to" : "create";
        return errno switch
        {
            Errno.EPERM or Errno.EACCES =>
                $"cannot {verb} TAP device '{name}': permission denied (needs CAP_NET_ADMIN; run as root or grant the capability)",
            Errno.EBUSY =>
                $"cannot attach to TAP device '{name}': it exists and is in use (another process holds its single queue) or is not a TAP",
            Errno.EINVAL when deviceExists =>
                $"cannot attach to '{name}': an interface of that name exists but is not a TAP device (or is a TAP with other queue flags)",
            Errno.EINVAL =>
                $"cannot create TAP device '{name}': the kernel rejected the name or the flags ({Errno.Describe(errno)})",
            _ => $"cannot {verb} TAP device '{name}': {Errno.Describe(errno)}",
        };
    }

    /// <summary>The message for a failed TUNGETIFF on an fd handed to <see cref="Adopt"/>.</summary>
    internal static string AdoptErrorMessage(int fd, int errno) => errno switch
    {
        Errno.EBADF => $"cannot adopt fd {fd}: it is not an open file descriptor",
        Errno.EBADFD => $"cannot adopt fd {fd}: it is a /dev/net/tun fd not attached to a device (call TUNSETIFF first), or its device was deleted",
        Errno.ENOTTY or Errno.EINVAL => $"cannot adopt fd {fd}: it is not a TUN/TAP file descriptor",
        _ => $"cannot adopt fd {fd}: TUNGETIFF failed: {Errno.Describe(errno)}",
    };
}
