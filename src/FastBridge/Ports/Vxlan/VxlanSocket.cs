using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using FastBridge.Interop;

namespace FastBridge.Ports.Vxlan;

/// <summary>The libc calls and structures a VXLAN port needs (UDP and raw IP sockets; recvmmsg/sendmmsg are <see cref="Libc.ReceiveMany"/>/<see cref="Libc.SendMany"/>), private to it.</summary>
internal static unsafe partial class VxlanSocket
{
    public const int AF_INET = 2;
    public const int AF_INET6 = 10;
    public const int SOCK_DGRAM = 2;
    public const int SOCK_RAW = 3;
    public const int SOCK_NONBLOCK = 0x800;
    public const int SOCK_CLOEXEC = 0x80000;
    public const int IPPROTO_IP = 0;
    public const int IPPROTO_UDP = 17;
    public const int IPPROTO_IPV6 = 41;
    public const int SOL_SOCKET = 1;
    public const int SO_SNDBUF = 7;
    public const int SO_RCVBUF = 8;
    public const int SO_ATTACH_FILTER = 26;
    public const int IP_MULTICAST_IF = 32;
    public const int IP_MULTICAST_TTL = 33;
    public const int IP_MULTICAST_LOOP = 34;
    public const int IP_ADD_MEMBERSHIP = 35;
    public const int IPV6_CHECKSUM = 7;
    public const int IPV6_MULTICAST_IF = 17;
    public const int IPV6_MULTICAST_HOPS = 18;
    public const int IPV6_MULTICAST_LOOP = 19;
    public const int IPV6_JOIN_GROUP = 20;
    public const int IPV6_V6ONLY = 26;
    public const int ENETUNREACH = 101;
    public const int EHOSTUNREACH = 113;

    /// <summary>Bytes of a sockaddr_in6, the larger of the two families: every address slot has this size.</summary>
    public const int AddressSize = 28;

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    public static partial int SetSockOpt(int socket, int level, int name, void* value, uint length);

    public static int SetInt(int socket, int level, int name, int value)
    {
        return SetSockOpt(socket, level, name, &value, sizeof(int));
    }

    /// <summary>Writes <paramref name="address"/>:<paramref name="port"/> as a sockaddr_in or sockaddr_in6 into 28 bytes; returns its length.</summary>
    public static uint Write(IPAddress address, int port, Span<byte> slot)
    {
        slot[..AddressSize].Clear();
        bool v6 = address.AddressFamily == AddressFamily.InterNetworkV6;
        MemoryMarshal.Write(slot, (ushort)(v6 ? AF_INET6 : AF_INET));
        slot[2] = (byte)(port >> 8);
        slot[3] = (byte)port;
        if (v6)
        {
            address.TryWriteBytes(slot.Slice(8, 16), out _);
            MemoryMarshal.Write(slot[24..], (uint)address.ScopeId);
            return 28;
        }

        address.TryWriteBytes(slot.Slice(4, 4), out _);
        return 16;
    }

    /// <summary>True when the sockaddr in <paramref name="slot"/> holds the same IP address as <paramref name="other"/> (ports ignored).</summary>
    public static bool SameAddress(ReadOnlySpan<byte> slot, ReadOnlySpan<byte> other)
    {
        ushort family = MemoryMarshal.Read<ushort>(slot);
        if (family != MemoryMarshal.Read<ushort>(other))
        {
            return false;
        }

        return family == AF_INET6
            ? slot.Slice(8, 16).SequenceEqual(other.Slice(8, 16))
            : slot.Slice(4, 4).SequenceEqual(other.Slice(4, 4));
    }

    /// <summary>Reads the IP address of a sockaddr (for display, off the frame path).</summary>
    public static IPAddress Read(ReadOnlySpan<byte> slot) =>
        MemoryMarshal.Read<ushort>(slot) == AF_INET6 ? new IPAddress(slot.Slice(8, 16)) : new IPAddress(slot.Slice(4, 4));

    /// <summary>A classic BPF program of one instruction, "return 0": the socket keeps nothing it is sent.</summary>
    public static int AttachDropAllFilter(int socket)
    {
        ulong instruction = 0x06; // BPF_RET | BPF_K, jt 0, jf 0, k 0
        SockFprog program = default;
        program.Length = 1;
        program.Filter = &instruction;
        return SetSockOpt(socket, SOL_SOCKET, SO_ATTACH_FILTER, &program, (uint)sizeof(SockFprog));
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct SockFprog
    {
        public ushort Length;
        public void* Filter;
    }
}
