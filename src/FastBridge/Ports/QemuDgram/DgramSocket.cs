using System.Runtime.InteropServices;
using System.Text;
using FastBridge.Interop;

namespace FastBridge.Ports.QemuDgram;

/// <summary>The libc calls and the sockaddr_un a datagram port needs (unix SOCK_DGRAM; recvmmsg/sendmmsg are <see cref="Libc.ReceiveMany"/>/<see cref="Libc.SendMany"/>), private to it.</summary>
internal static unsafe partial class DgramSocket
{
    public const int SOCK_NONBLOCK = 0x800;
    public const int ECONNREFUSED = 111;

    /// <summary>sizeof(struct sockaddr_un): the family and 108 bytes of path.</summary>
    public const int AddressSize = 110;

    /// <summary>Bytes one address slot takes in the port's arrays (the sockaddr rounded up to 8).</summary>
    public const int SlotSize = 112;

    /// <summary>Longest path a sockaddr_un holds with its terminating zero.</summary>
    public const int MaxPathBytes = 107;

    [LibraryImport("libc", EntryPoint = "connect", SetLastError = true)]
    public static partial int Connect(int socket, void* address, uint length);

    /// <summary>A non-blocking, close-on-exec unix datagram socket, or -1 with <paramref name="errno"/>.</summary>
    public static int Open(out int errno)
    {
        int fd = Libc.Socket(Libc.AF_UNIX, Libc.SOCK_DGRAM | SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, 0);
        errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
        return fd;
    }

    /// <summary>Writes <paramref name="path"/> as a sockaddr_un into <paramref name="slot"/>; returns its length (family, path, zero).</summary>
    public static uint Write(string path, Span<byte> slot)
    {
        slot[..AddressSize].Clear();
        MemoryMarshal.Write(slot, (ushort)Libc.AF_UNIX);
        int n = Encoding.UTF8.GetBytes(path, slot[2..(2 + MaxPathBytes)]);
        return (uint)(2 + n + 1);
    }

    /// <summary>The path of a sockaddr_un of <paramref name="length"/> bytes (off the frame path); "" for an unnamed socket.</summary>
    public static string Read(ReadOnlySpan<byte> slot, int length)
    {
        if (length <= 2)
        {
            return "";
        }

        ReadOnlySpan<byte> path = slot[2..Math.Min(length, AddressSize)];
        if (path[0] == 0)
        {
            return "@" + Encoding.UTF8.GetString(path[1..]); // an abstract address, as ss(8) shows it
        }

        int end = path.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? path : path[..end]);
    }

    /// <summary>
    /// The length that counts of a received sockaddr_un: the kernel reports a path's length with or without its
    /// terminating zero depending on how the sender bound it, so a path's trailing zeros are not part of who it is.
    /// </summary>
    public static int Significant(ReadOnlySpan<byte> slot, int length)
    {
        length = Math.Min(length, AddressSize);
        if (length > 3 && slot[2] != 0)
        {
            while (length > 2 && slot[length - 1] == 0)
            {
                length--;
            }
        }

        return length;
    }
}
