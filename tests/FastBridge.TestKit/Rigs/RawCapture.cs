using System.Buffers.Binary;
using System.Runtime.InteropServices;
using FastBridge.Interop;

namespace FastBridge.Tests.Infrastructure;

/// <summary>
/// An AF_PACKET socket that receives every frame arriving on one interface of the test process's namespace, with the
/// 802.1Q tag the kernel took off put back in: the kernel strips a received tag even on a TAP's kernel side and reports
/// it in PACKET_AUXDATA (../shared/TAP-NOTES.md), so this is how a test reads what a switch sent tagged.
/// </summary>
internal sealed unsafe partial class RawCapture : IDisposable
{
    private const int AfPacket = 17;
    private const int SockRaw = 3;
    private const int SockCloexec = 0x80000;
    private const int SolPacket = 263;
    private const int PacketAuxdata = 8;
    private const ushort EthPAllNetworkOrder = 0x0300; // htons(ETH_P_ALL)
    private const uint StatusVlanValid = 0x10;
    private const uint StatusVlanTpidValid = 0x40;
    private const short PollIn = 1;

    private readonly int _fd;
    private int _disposed;

    private RawCapture(int fd) => _fd = fd;

    public static RawCapture Open(string interfaceName)
    {
        uint index = Libc.IfNameToIndex(interfaceName);
        if (index == 0)
        {
            throw new InvalidOperationException($"no interface '{interfaceName}' in this namespace");
        }

        int fd = Socket(AfPacket, SockRaw | SockCloexec, EthPAllNetworkOrder);
        if (fd < 0)
        {
            throw new InvalidOperationException($"socket(AF_PACKET) failed: errno {Marshal.GetLastPInvokeError()}");
        }

        int one = 1;
        var address = new SockaddrLl { Family = AfPacket, Protocol = EthPAllNetworkOrder, IfIndex = (int)index };
        if (SetSockOpt(fd, SolPacket, PacketAuxdata, &one, sizeof(int)) < 0 || Bind(fd, &address, sizeof(SockaddrLl)) < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            Libc.Close(fd);
            throw new InvalidOperationException($"AF_PACKET setup on {interfaceName} failed: errno {errno}");
        }

        return new RawCapture(fd);
    }

    /// <summary>The next frame received (its tag restored), or null when none came within <paramref name="timeout"/>.</summary>
    public byte[]? Receive(TimeSpan timeout)
    {
        var poll = new PollFd { Fd = _fd, Events = PollIn };
        if (Poll(&poll, 1, (int)timeout.TotalMilliseconds) <= 0)
        {
            return null;
        }

        byte[] buffer = new byte[70_000];
        byte* control = stackalloc byte[128];
        fixed (byte* data = buffer)
        {
            var iov = new IoVec { Base = data, Length = (nuint)buffer.Length };
            var message = new MsgHdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = 128 };
            nint length = RecvMsg(_fd, &message, 0);
            if (length < 14)
            {
                return null;
            }

            byte[] frame = buffer.AsSpan(0, (int)length).ToArray();
            for (var header = (CmsgHdr*)(message.ControlLength >= (nuint)sizeof(CmsgHdr) ? control : null); header != null;)
            {
                if (header->Level == SolPacket && header->Type == PacketAuxdata)
                {
                    var aux = (TpacketAuxdata*)(header + 1);
                    if ((aux->Status & StatusVlanValid) != 0)
                    {
                        ushort tpid = (aux->Status & StatusVlanTpidValid) != 0 ? aux->VlanTpid : (ushort)0x8100;
                        var tagged = new byte[frame.Length + 4];
                        frame.AsSpan(0, 12).CopyTo(tagged);
                        BinaryPrimitives.WriteUInt16BigEndian(tagged.AsSpan(12), tpid);
                        BinaryPrimitives.WriteUInt16BigEndian(tagged.AsSpan(14), aux->VlanTci);
                        frame.AsSpan(12).CopyTo(tagged.AsSpan(16));
                        return tagged;
                    }
                }

                nuint next = (nuint)((header->Length + 7) & ~7UL);
                byte* after = (byte*)header + next;
                header = after + sizeof(CmsgHdr) <= control + (int)message.ControlLength ? (CmsgHdr*)after : null;
            }

            return frame;
        }
    }

    /// <summary>
    /// The next frame as it arrived (no tag put back) into <paramref name="buffer"/>: its length, or 0 when none came
    /// within <paramref name="timeout"/>. Allocates nothing, for tests that count many frames.
    /// </summary>
    public int ReceiveInto(Span<byte> buffer, TimeSpan timeout)
    {
        var poll = new PollFd { Fd = _fd, Events = PollIn };
        if (Poll(&poll, 1, (int)timeout.TotalMilliseconds) <= 0)
        {
            return 0;
        }

        fixed (byte* data = buffer)
        {
            var iov = new IoVec { Base = data, Length = (nuint)buffer.Length };
            var message = new MsgHdr { Iov = &iov, IovLength = 1 };
            nint length = RecvMsg(_fd, &message, 0);
            return length > 0 ? (int)length : 0;
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Libc.Close(_fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static partial int Socket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "bind", SetLastError = true)]
    private static partial int Bind(int fd, SockaddrLl* address, int addressLength);

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    private static partial int SetSockOpt(int fd, int level, int name, void* value, int length);

    [LibraryImport("libc", EntryPoint = "recvmsg", SetLastError = true)]
    private static partial nint RecvMsg(int fd, MsgHdr* message, int flags);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static partial int Poll(PollFd* fds, nuint count, int timeoutMs);

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

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct IoVec
    {
        public byte* Base;
        public nuint Length;
    }

    /// <summary>struct msghdr on LP64.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    /// <summary>struct cmsghdr on LP64 (16 bytes, data follows).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct CmsgHdr
    {
        public ulong Length;
        public int Level;
        public int Type;
    }

    /// <summary>struct tpacket_auxdata (linux/if_packet.h).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct TpacketAuxdata
    {
        public uint Status;
        public uint Len;
        public uint SnapLen;
        public ushort Mac;
        public ushort Net;
        public ushort VlanTci;
        public ushort VlanTpid;
    }
}
