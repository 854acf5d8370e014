using System.Buffers.Binary;
using System.Runtime.InteropServices;
using FastBridge.Interop;

namespace FastBridge.Tests.Infrastructure;

/// <summary>
/// An AF_PACKET raw socket bound to one interface of the test process's namespace: <see cref="TrySend"/> hands an
/// arbitrary byte string to that interface's transmit path, which for a TAP device means the switch reads exactly those
/// bytes from its fd. The kernel checks only the length (see <see cref="Hostile.MalformedCorpusTests"/> for what it
/// lets through), not the content, so this is how hostile frames reach a real <see cref="Ports.TapPort"/>.
/// </summary>
internal sealed unsafe partial class RawSocket : IDisposable
{
    private const string LibraryName = "libc";
    private const int AfPacket = 17;
    private const int SockRaw = 3;
    private const int SockCloexec = 0x80000;

    private readonly int _fd;
    private readonly SockaddrLl _address;
    private int _disposed;

    private RawSocket(int fd, SockaddrLl address)
    {
        _fd = fd;
        _address = address;
    }

    /// <summary>
    /// Opens a raw socket on <paramref name="interfaceName"/>. Protocol 0: the socket receives nothing, it only sends.
    /// </summary>
    public static RawSocket Open(string interfaceName)
    {
        uint index = Libc.IfNameToIndex(interfaceName);
        if (index == 0)
        {
            throw new InvalidOperationException($"no interface '{interfaceName}' in this namespace");
        }

        int fd = Socket(AfPacket, SockRaw | SockCloexec, 0);
        if (fd < 0)
        {
            throw new InvalidOperationException($"socket(AF_PACKET, SOCK_RAW) failed: errno {Marshal.GetLastPInvokeError()}");
        }

        var address = new SockaddrLl
        {
            Family = AfPacket,
            Protocol = 0,
            IfIndex = (int)index,
            HaLen = 6,
        };
        if (Bind(fd, &address, sizeof(SockaddrLl)) < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            Libc.Close(fd);
            throw new InvalidOperationException($"bind(AF_PACKET, {interfaceName}) failed: errno {errno}");
        }

        return new RawSocket(fd, address);
    }

    /// <summary>Sends <paramref name="frame"/> as is; false with the errno when the kernel refuses it.</summary>
    public bool TrySend(ReadOnlySpan<byte> frame, out int errno)
    {
        SockaddrLl address = _address;
        if (frame.Length >= 12)
        {
            frame[..6].CopyTo(new Span<byte>(address.Addr, 6));
        }

        fixed (byte* bytes = frame)
        {
            // An empty span pins to null; sendto needs a valid pointer even for 0 bytes.
            byte dummy = 0;
            byte* buffer = bytes is null ? &dummy : bytes;
            nint sent = SendTo(_fd, buffer, frame.Length, 0, &address, sizeof(SockaddrLl));
            errno = sent < 0 ? Marshal.GetLastPInvokeError() : 0;
            return sent == frame.Length;
        }
    }

    public void Send(ReadOnlySpan<byte> frame)
    {
        if (!TrySend(frame, out int errno))
        {
            Assert.Fail($"sendto of a {frame.Length}-byte frame (type 0x{(frame.Length >= 14 ? BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) : 0):X4}) failed: errno {errno}");
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Libc.Close(_fd);
        }
    }

    [LibraryImport(LibraryName, EntryPoint = "socket", SetLastError = true)]
    private static partial int Socket(int domain, int type, int protocol);

    [LibraryImport(LibraryName, EntryPoint = "bind", SetLastError = true)]
    private static partial int Bind(int fd, SockaddrLl* address, int addressLength);

    [LibraryImport(LibraryName, EntryPoint = "sendto", SetLastError = true)]
    private static partial nint SendTo(int fd, byte* buffer, nint length, int flags, SockaddrLl* address, int addressLength);

    /// <summary>struct sockaddr_ll (linux/if_packet.h), 20 bytes.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct SockaddrLl
    {
        public ushort Family;
        public ushort Protocol;
        public int IfIndex;
        public ushort HaType;
        public byte PktType;
        public byte HaLen;
        public fixed byte Addr[8];
    }
}
