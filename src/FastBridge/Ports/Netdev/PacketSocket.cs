using System.Runtime.InteropServices;
using FastBridge.Interop;

namespace FastBridge.Ports.Netdev;

/// <summary>
/// The AF_PACKET family (linux/if_packet.h, linux/if_ether.h) as far as netdev ports use it: socket options, the
/// TPACKET_V3 ring's request and headers, sockaddr_ll, packet_mreq, and the libc calls only this port makes (bind,
/// setsockopt, getsockopt, getsockname, mmap, munmap, sendmmsg).
/// </summary>
/// <remarks>
/// Private to the netdev port kind, so kept in its folder. All imports are source-generated and blittable: a call
/// allocates nothing. Safety: callers pass pointers to stack or native memory that lives until the call returns, with
/// the lengths of that memory.
/// </remarks>
internal static unsafe partial class PacketSocket
{
    private const string LibraryName = "libc";

    public const int AF_PACKET = 17;
    public const int SOCK_RAW = 3;
    public const int SOCK_NONBLOCK = 0x800;
    public const int SOCK_CLOEXEC = 0x80000;

    /// <summary>ETH_P_ALL in network byte order, as socket() and bind() take it.</summary>
    public const ushort EthPAllNetworkOrder = 0x0300;

    public const int SOL_SOCKET = 1;
    public const int SO_ERROR = 4;
    public const int SO_RCVBUF = 8;
    public const int SO_RCVBUFFORCE = 33;
    public const int SOL_PACKET = 263;
    public const int PACKET_ADD_MEMBERSHIP = 1;
    public const int PACKET_RX_RING = 5;
    public const int PACKET_STATISTICS = 6;
    public const int PACKET_COPY_THRESH = 7;
    public const int PACKET_VERSION = 10;
    public const int PACKET_VNET_HDR = 15;
    public const int PACKET_QDISC_BYPASS = 20;
    public const int PACKET_IGNORE_OUTGOING = 23;
    public const int PACKET_MR_PROMISC = 1;
    public const int TPACKET_V2 = 1;
    public const int TPACKET_V3 = 2;

    public const int PROT_READ = 1;
    public const int PROT_WRITE = 2;
    public const int MAP_SHARED = 1;
    public const int MSG_DONTWAIT = 0x40;

    public const uint SIOCGIFMTU = 0x8921;

    [LibraryImport(LibraryName, EntryPoint = "bind", SetLastError = true)]
    public static partial int Bind(int socket, void* address, uint length);

    [LibraryImport(LibraryName, EntryPoint = "setsockopt", SetLastError = true)]
    public static partial int SetSockOpt(int socket, int level, int name, void* value, uint length);

    [LibraryImport(LibraryName, EntryPoint = "getsockopt", SetLastError = true)]
    public static partial int GetSockOpt(int socket, int level, int name, void* value, uint* length);

    [LibraryImport(LibraryName, EntryPoint = "getsockname", SetLastError = true)]
    public static partial int GetSockName(int socket, void* address, uint* length);

    [LibraryImport(LibraryName, EntryPoint = "mmap", SetLastError = true)]
    public static partial void* Mmap(void* address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport(LibraryName, EntryPoint = "munmap", SetLastError = true)]
    public static partial int Munmap(void* address, nuint length);

    [LibraryImport(LibraryName, EntryPoint = "sendmmsg", SetLastError = true)]
    public static partial int SendMmsg(int socket, MmsgHdr* messages, uint count, int flags);

    /// <summary>setsockopt with an int value.</summary>
    public static int SetInt(int socket, int level, int name, int value, out int errno)
    {
        int result = SetSockOpt(socket, level, name, &value, sizeof(int));
        errno = result < 0 ? Marshal.GetLastPInvokeError() : 0;
        return result;
    }

    /// <summary>sendmmsg, retried on EINTR (nothing was sent then).</summary>
    public static int SendMany(int socket, MmsgHdr* messages, uint count, out int errno)
    {
        int result;
        do
        {
            result = SendMmsg(socket, messages, count, MSG_DONTWAIT);
            errno = result < 0 ? Marshal.GetLastPInvokeError() : 0;
        }
        while (result < 0 && errno == Interop.Errno.EINTR);

        return result;
    }
}

/// <summary>struct tpacket_req3: the TPACKET_V3 ring's geometry, for PACKET_RX_RING.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct TpacketReq3
{
    public uint BlockSize;
    public uint BlockCount;
    public uint FrameSize;
    public uint FrameCount;
    public uint RetireBlockTimeoutMs;
    public uint PrivateSize;
    public uint FeatureRequestWord;
}

/// <summary>struct sockaddr_ll (20 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct SockAddrLl
{
    public ushort Family;
    public ushort Protocol;
    public int IfIndex;
    public ushort HardwareType;
    public byte PacketType;
    public byte AddressLength;
    public fixed byte Address[8];
}

/// <summary>struct packet_mreq (16 bytes), for PACKET_ADD_MEMBERSHIP.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct PacketMreq
{
    public int IfIndex;
    public ushort Type;
    public ushort AddressLength;
    public fixed byte Address[8];
}

internal static unsafe partial class PacketSocket
{
    /// <summary>
    /// An AF_PACKET raw socket with protocol 0: it receives nothing until bind() names the interface and ETH_P_ALL, so
    /// it never sees other interfaces' frames while its ring is being set up.
    /// </summary>
    public static int SocketOf(out int errno)
    {
        int fd = Interop.Libc.Socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
        return fd;
    }
}
