using System.Runtime.InteropServices;

namespace FastBridge.Interop;

/// <summary>
/// socket and socketpair, and the interface ioctls that need one (any socket of the namespace works as a handle for them).
/// </summary>
internal static unsafe partial class Libc
{
    public const int AF_UNIX = 1;
    public const int AF_INET = 2;
    public const int SOCK_DGRAM = 2;
    public const int SOCK_CLOEXEC = 0x80000;

    /// <summary>Read the interface flags (<see cref="IfReq.Flags"/>).</summary>
    public const uint SIOCGIFFLAGS = 0x8913;

    /// <summary>Write the interface flags; needs CAP_NET_ADMIN.</summary>
    public const uint SIOCSIFFLAGS = 0x8914;

    /// <summary>Interface flag: administratively up.</summary>
    public const short IFF_UP = 0x1;

    /// <summary>Interface flag: operational (carrier, up).</summary>
    public const short IFF_RUNNING = 0x40;

    [LibraryImport(LibraryName, EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int domain, int type, int protocol);

    /// <summary>Two connected sockets in <paramref name="fds"/>[0] and [1].</summary>
    [LibraryImport(LibraryName, EntryPoint = "socketpair", SetLastError = true)]
    public static partial int SocketPair(int domain, int type, int protocol, int* fds);
}
