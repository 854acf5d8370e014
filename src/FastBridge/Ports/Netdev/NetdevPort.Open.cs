using System.Runtime.InteropServices;
using FastBridge.Interop;

namespace FastBridge.Ports.Netdev;

/// <summary>Attaching: the socket, its options, the ring, the binding, promiscuous mode, the admin state.</summary>
public sealed unsafe partial class NetdevPort
{
    private const uint SIOCGIFHWADDR = 0x8927;
    private const short ArpHardwareEther = 1;

    /// <summary>
    /// Attaches the existing Ethernet interface <paramref name="name"/> of the current namespace. Needs CAP_NET_RAW
    /// (the socket) and CAP_NET_ADMIN (promiscuous mode, bringing a down interface up).
    /// </summary>
    /// <exception cref="ArgumentException">The name is not a valid interface name.</exception>
    /// <exception cref="NetdevException">No such interface, not Ethernet, or a system call failed; the message says why.</exception>
    public static NetdevPort Open(string name, NetdevPortOptions? options = null)
    {
        TapPort.ValidateInterfaceName(name);
        options ??= NetdevPortOptions.Default;
        ValidateGeometry(options);
        int ifIndex = (int)Libc.IfNameToIndex(name);
        if (ifIndex == 0)
        {
            throw new NetdevException($"cannot attach '{name}': no interface of that name in this namespace", Errno.ENODEV, name);
        }

        int fd = PacketSocket.SocketOf(out int errno);
        if (fd < 0)
        {
            string why = errno is Errno.EPERM or Errno.EACCES
                ? "permission denied (an AF_PACKET socket needs CAP_NET_RAW; run as root or grant the capability)"
                : Errno.Describe(errno);
            throw new NetdevException($"cannot attach '{name}': socket(AF_PACKET) failed: {why}", errno, name);
        }

        var handle = new FileDescriptor(fd, ownsHandle: true);
        byte* ring = null;
        nuint ringBytes = 0;
        bool broughtUp = false;
        try
        {
            IfReq request = IfReq.ForName(name);
            Check(Syscall.Ioctl(fd, SIOCGIFHWADDR, &request, out errno), errno, name, "reading its hardware type");
            if (request.Flags != ArpHardwareEther)
            {
                throw new NetdevException($"cannot attach '{name}': not an Ethernet interface (hardware type {request.Flags})", Errno.EINVAL, name);
            }

            request = IfReq.ForName(name);
            Check(Syscall.Ioctl(fd, PacketSocket.SIOCGIFMTU, &request, out errno), errno, name, "reading its MTU");
            int mtu = request.Value;

            Check(PacketSocket.SetInt(fd, PacketSocket.SOL_PACKET, PacketSocket.PACKET_VERSION, options.LowLatency ? PacketSocket.TPACKET_V2 : PacketSocket.TPACKET_V3, out errno),
                errno, name, options.LowLatency ? "PACKET_VERSION TPACKET_V2" : "PACKET_VERSION TPACKET_V3");
            Check(PacketSocket.SetInt(fd, PacketSocket.SOL_PACKET, PacketSocket.PACKET_QDISC_BYPASS, 1, out errno), errno, name, "PACKET_QDISC_BYPASS");
            Check(PacketSocket.SetInt(fd, PacketSocket.SOL_PACKET, PacketSocket.PACKET_IGNORE_OUTGOING, 1, out errno), errno, name, "PACKET_IGNORE_OUTGOING (Linux 4.20+)");

            bool offloads = options.Offloads && EnableOffloads(fd, options.LowLatency);

            RingGeometry geometry = RingGeometry.For(options, mtu);
            ringBytes = (nuint)geometry.BlockSize * (nuint)geometry.BlockCount;
            var ringRequest = new TpacketReq3
            {
                BlockSize = (uint)geometry.BlockSize,
                BlockCount = (uint)geometry.BlockCount,
                FrameSize = (uint)geometry.FrameSize,
                FrameCount = (uint)geometry.FrameCount,
                RetireBlockTimeoutMs = (uint)options.BlockTimeoutMs,
            };

            // TPACKET_V2 takes struct tpacket_req: the first four fields of tpacket_req3.
            uint requestSize = options.LowLatency ? 4 * sizeof(uint) : (uint)sizeof(TpacketReq3);
            Check(PacketSocket.SetSockOpt(fd, PacketSocket.SOL_PACKET, PacketSocket.PACKET_RX_RING, &ringRequest, requestSize), LastError(), name, "PACKET_RX_RING");

            void* mapped = PacketSocket.Mmap(null, ringBytes, PacketSocket.PROT_READ | PacketSocket.PROT_WRITE, PacketSocket.MAP_SHARED, fd, 0);
            if (mapped == (void*)-1)
            {
                errno = LastError();
                throw new NetdevException($"cannot attach '{name}': mapping its {ringBytes >> 20} MiB receive ring failed: {Errno.Describe(errno)}", errno, name);
            }

            ring = (byte*)mapped;
            SockAddrLl address = default;
            address.Family = PacketSocket.AF_PACKET;
            address.Protocol = PacketSocket.EthPAllNetworkOrder;
            address.IfIndex = ifIndex;
            Check(PacketSocket.Bind(fd, &address, (uint)sizeof(SockAddrLl)), LastError(), name, "bind");

            if (options.Promiscuous)
            {
                PacketMreq membership = default;
                membership.IfIndex = ifIndex;
                membership.Type = PacketSocket.PACKET_MR_PROMISC;
                Check(PacketSocket.SetSockOpt(fd, PacketSocket.SOL_PACKET, PacketSocket.PACKET_ADD_MEMBERSHIP, &membership, (uint)sizeof(PacketMreq)), LastError(), name, "promiscuous mode (PACKET_ADD_MEMBERSHIP)");
            }

            broughtUp = SetAdminUp(fd, name);
            return new NetdevPort(name, handle, ring, ringBytes, geometry, ifIndex, mtu, broughtUp, offloads);
        }
        catch
        {
            if (broughtUp)
            {
                RestoreDown(name, ifIndex);
            }

            if (ring != null)
            {
                PacketSocket.Munmap(ring, ringBytes);
            }

            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// PACKET_VNET_HDR (before the ring exists: the kernel refuses it after); false when the kernel does not take it.
    /// For a TPACKET_V2 ring also PACKET_COPY_THRESH and a larger receive buffer: a super-frame longer than its slot is
    /// then queued whole on the socket as well (the slot says TP_STATUS_COPY) and read from there.
    /// </summary>
    private static bool EnableOffloads(int fd, bool frameRing)
    {
        if (PacketSocket.SetInt(fd, PacketSocket.SOL_PACKET, PacketSocket.PACKET_VNET_HDR, 1, out _) < 0)
        {
            return false;
        }

        if (frameRing)
        {
            PacketSocket.SetInt(fd, PacketSocket.SOL_PACKET, PacketSocket.PACKET_COPY_THRESH, 1, out _);
            if (PacketSocket.SetInt(fd, PacketSocket.SOL_SOCKET, PacketSocket.SO_RCVBUFFORCE, CopyQueueBytes, out _) < 0)
            {
                PacketSocket.SetInt(fd, PacketSocket.SOL_SOCKET, PacketSocket.SO_RCVBUF, CopyQueueBytes, out _); // up to net.core.rmem_max
            }
        }

        return true;
    }

    /// <summary>Receive buffer for the super-frames a TPACKET_V2 ring queues beside itself (about 64 of 64 KiB, counted with their overhead).</summary>
    private const int CopyQueueBytes = 8 << 20;

    private static void ValidateGeometry(NetdevPortOptions options)
    {
        if (options.BlockSize < (1 << 16) || (options.BlockSize & (options.BlockSize - 1)) != 0)
        {
            throw new ArgumentException($"block size {options.BlockSize} must be a power of two of at least 64 KiB", nameof(options));
        }

        if (options.BlockCount is < 2 or > 1024 || options.BlockTimeoutMs is < 1 or > 1000)
        {
            throw new ArgumentException("block count must be 2 to 1024 and the block timeout 1 to 1000 ms", nameof(options));
        }
    }

    /// <summary>Sets IFF_UP when the interface is down; returns true when it did (so Dispose sets it down again).</summary>
    private static bool SetAdminUp(int socket, string name)
    {
        IfReq request = IfReq.ForName(name);
        Check(Syscall.Ioctl(socket, Libc.SIOCGIFFLAGS, &request, out int errno), errno, name, "reading its flags");
        if ((request.Flags & Libc.IFF_UP) != 0)
        {
            return false;
        }

        request.Flags |= Libc.IFF_UP;
        Check(Syscall.Ioctl(socket, Libc.SIOCSIFFLAGS, &request, out errno), errno, name, "bringing it up");
        return true;
    }

    /// <summary>Clears IFF_UP again, if the interface of that name is still the one attached (best effort).</summary>
    private static void RestoreDown(string name, int ifIndex)
    {
        if ((int)Libc.IfNameToIndex(name) != ifIndex)
        {
            return; // deleted (or deleted and re-created): nothing of ours to restore
        }

        int socket = Libc.Socket(Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
        if (socket < 0)
        {
            return;
        }

        using var handle = new FileDescriptor(socket, ownsHandle: true);
        IfReq request = IfReq.ForName(name);
        if (Syscall.Ioctl(socket, Libc.SIOCGIFFLAGS, &request, out _) == 0 && (request.Flags & Libc.IFF_UP) != 0)
        {
            request.Flags = (short)(request.Flags & ~Libc.IFF_UP);
            Syscall.Ioctl(socket, Libc.SIOCSIFFLAGS, &request, out _);
        }
    }

    private static int LastError() => Marshal.GetLastPInvokeError();

    private static void Check(int result, int errno, string name, string what)
    {
        if (result >= 0)
        {
            return;
        }

        string why = errno is Errno.EPERM or Errno.EACCES
            ? "permission denied (needs CAP_NET_RAW and CAP_NET_ADMIN; run as root or grant the capabilities)"
            : Errno.Describe(errno);
        throw new NetdevException($"cannot attach '{name}': {what} failed: {why}", errno, name);
    }
}
