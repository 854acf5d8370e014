using System.Net.Sockets;
using System.Runtime.InteropServices;
using FastBridge.Interop;
using FastBridge.Ports.VhostUser;

namespace FastBridge.Tests.Ports.VhostUser;

/// <summary>
/// A small virtio-net driver for tests, in the role QEMU plays: guest memory in a memfd, split rings laid out in it,
/// kick and call eventfds, and the vhost-user messages over the port's unix socket.
/// </summary>
/// <remarks>
/// Layout of the one region (guest-physical <see cref="GuestBase"/>): ring 0 (RX) at 0, ring 1 (TX) at 16 KiB, each
/// { descriptors, avail at +4 KiB, used at +8 KiB }; an indirect table area at 32 KiB; frame buffers of
/// <see cref="BufferSize"/> bytes from 64 KiB. Descriptor i of a ring uses buffer (ring * RingSize + i).
/// </remarks>
internal sealed unsafe class TestFrontend : IDisposable
{
    public const ulong GuestBase = 0x4000_0000;
    public const int RingSize = 256;
    public const int BufferSize = 4096;
    public const int MemorySize = (64 * 1024) + (2 * RingSize * BufferSize) + (64 * 1024);
    public const ulong DefaultFeatures = (1UL << VhostProtocol.Version1) | (1UL << VhostProtocol.NetMrgRxBuf)
        | (1UL << VhostProtocol.ProtocolFeatures) | (1UL << VhostProtocol.RingIndirectDesc);

    private readonly int _memfd;
    private readonly ushort[] _availIdx = new ushort[2];
    private readonly ushort[] _usedSeen = new ushort[2];

    /// <param name="socketPath">The port's socket.</param>
    /// <param name="sealable">Guest memory in a memfd that allows sealing (MFD_ALLOW_SEALING); else one that does not, as DPDK's.</param>
    public TestFrontend(string socketPath, bool sealable = false)
        : this(Connect(socketPath), sealable)
    {
    }

    /// <summary>A frontend on a connection it accepted (the backend is the client, QEMU server=on).</summary>
    public TestFrontend(Socket connected, bool sealable = false)
    {
        _memfd = Libc.MemfdCreate("fastbridge-test-guest", Libc.MFD_CLOEXEC | (sealable ? Libc.MFD_ALLOW_SEALING : 0));
        Assert.True(_memfd >= 0);
        Assert.Equal(0, Libc.Ftruncate(_memfd, MemorySize));
        Base = Libc.Mmap(0, MemorySize, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED, _memfd, 0);
        Assert.NotEqual(Libc.MapFailed, Base);
        Kick = [Libc.EventFd(0, Libc.EFD_NONBLOCK | Libc.EFD_CLOEXEC), Libc.EventFd(0, Libc.EFD_NONBLOCK | Libc.EFD_CLOEXEC)];
        Call = [Libc.EventFd(0, Libc.EFD_NONBLOCK | Libc.EFD_CLOEXEC), Libc.EventFd(0, Libc.EFD_NONBLOCK | Libc.EFD_CLOEXEC)];
        Socket = connected;
        Socket.ReceiveTimeout = 5000;
    }

    public nint Base { get; }

    /// <summary>The frontend's own fd of guest memory (the port gets a copy with SET_MEM_TABLE).</summary>
    public int MemoryFd => _memfd;

    public int[] Kick { get; }

    public int[] Call { get; }

    public Socket Socket { get; private set; }

    public ulong Features { get; private set; }

    public ushort ReadUsedFlags(int ring) => Volatile.Read(ref *(ushort*)At(RingOffset(ring) + 8192));

    /// <summary>EVENT_IDX: the avail_event the device wrote after the used ring.</summary>
    public ushort ReadAvailEvent(int ring) => Volatile.Read(ref *(ushort*)At(RingOffset(ring) + 8192 + 4 + (RingSize * 8)));

    /// <summary>EVENT_IDX: sets used_event, after the avail ring (interrupt me when used passes it).</summary>
    public void WriteUsedEvent(int ring, ushort value) => Volatile.Write(ref *(ushort*)At(RingOffset(ring) + 4096 + 4 + (RingSize * 2)), value);

    /// <summary>Interrupts the backend raised on <paramref name="ring"/>'s call eventfd since the last look.</summary>
    public ulong TakeInterrupts(int ring)
    {
        ulong value = 0;
        return Libc.Read(Call[ring], &value, 8) == 8 ? value : 0;
    }

    /// <summary>Sets the avail index directly (hostile tests).</summary>
    public void ForceAvailIndex(int ring, ushort value, bool kick = true)
    {
        Volatile.Write(ref *(ushort*)At(RingOffset(ring) + 4096 + 2), value);
        if (kick)
        {
            ulong one = 1;
            Libc.Write(Kick[ring], &one, 8);
        }
    }

    public static nint RingOffset(int ring) => ring * 16384;

    public static ulong UserAddress(TestFrontend f, long offset) => (ulong)(f.Base + (nint)offset);

    public byte* At(long offset) => (byte*)Base + offset;

    public static ulong BufferGpa(int ring, int index) => GuestBase + (ulong)(64 * 1024) + (ulong)(((ring * RingSize) + index) * BufferSize);

    public byte* BufferAt(int ring, int index) => At((long)(BufferGpa(ring, index) - GuestBase));

    private static Socket Connect(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(path));
        socket.ReceiveTimeout = 5000;
        return socket;
    }

    /// <summary>Drops the connection and connects again (a restarted QEMU); ring state starts over.</summary>
    public void Reconnect(string path)
    {
        Socket.Dispose();
        new Span<byte>((void*)Base, MemorySize).Clear();
        Array.Clear(_availIdx);
        Array.Clear(_usedSeen);
        Socket = Connect(path);
    }

    /// <summary>The whole QEMU-style start: features, memory, both rings, each message acknowledged (REPLY_ACK).</summary>
    public void Negotiate(ulong features = DefaultFeatures)
    {
        ulong offered = RequestU64(VhostRequest.GetFeatures);
        Assert.Equal(0UL, features & ~offered);
        Features = features;
        Send(VhostRequest.SetFeatures, BitConverter.GetBytes(features));
        ulong protocol = RequestU64(VhostRequest.GetProtocolFeatures);
        Assert.True(VhostProtocol.Has(protocol, VhostProtocol.ProtocolReplyAck));
        Send(VhostRequest.SetProtocolFeatures, BitConverter.GetBytes(1UL << VhostProtocol.ProtocolReplyAck));
        Assert.Equal(0UL, SendAcked(VhostRequest.SetOwner, []));
        Assert.Equal(0UL, SendAcked(VhostRequest.SetMemTable, MemTable(GuestBase, MemorySize, (ulong)Base), _memfd));
        for (int ring = 0; ring < 2; ring++)
        {
            Assert.Equal(0UL, SendAcked(VhostRequest.SetVringNum, VringState(ring, RingSize)));
            Assert.Equal(0UL, SendAcked(VhostRequest.SetVringBase, VringState(ring, 0)));
            Assert.Equal(0UL, SendAcked(VhostRequest.SetVringAddr, VringAddr(ring)));
            Assert.Equal(0UL, SendAcked(VhostRequest.SetVringKick, BitConverter.GetBytes((ulong)ring), Kick[ring]));
            Assert.Equal(0UL, SendAcked(VhostRequest.SetVringCall, BitConverter.GetBytes((ulong)ring), Call[ring]));
            Assert.Equal(0UL, SendAcked(VhostRequest.SetVringEnable, VringState(ring, 1)));
        }
    }

    public static byte[] MemTable(ulong gpa, ulong size, ulong user)
    {
        var bytes = new byte[8 + 32];
        BitConverter.TryWriteBytes(bytes, 1u);
        BitConverter.TryWriteBytes(bytes.AsSpan(8), gpa);
        BitConverter.TryWriteBytes(bytes.AsSpan(16), size);
        BitConverter.TryWriteBytes(bytes.AsSpan(24), user);
        return bytes;
    }

    public static byte[] VringState(int ring, uint num)
    {
        var bytes = new byte[8];
        BitConverter.TryWriteBytes(bytes, (uint)ring);
        BitConverter.TryWriteBytes(bytes.AsSpan(4), num);
        return bytes;
    }

    private byte[] VringAddr(int ring)
    {
        var bytes = new byte[40];
        BitConverter.TryWriteBytes(bytes, (uint)ring);
        BitConverter.TryWriteBytes(bytes.AsSpan(8), UserAddress(this, RingOffset(ring)));
        BitConverter.TryWriteBytes(bytes.AsSpan(16), UserAddress(this, RingOffset(ring) + 8192));
        BitConverter.TryWriteBytes(bytes.AsSpan(24), UserAddress(this, RingOffset(ring) + 4096));
        return bytes;
    }

    public void Send(VhostRequest request, ReadOnlySpan<byte> payload, int fd = -1, uint flags = VhostProtocol.Version)
    {
        var message = new byte[VhostProtocol.HeaderSize + payload.Length];
        new VhostHeader(request, flags, (uint)payload.Length).Write(message);
        payload.CopyTo(message.AsSpan(VhostProtocol.HeaderSize));
        SendRaw(message, fd);
    }

    public void SendRaw(ReadOnlySpan<byte> bytes, int fd = -1)
    {
        nint sent = ScmRights.Send((int)Socket.SafeHandle.DangerousGetHandle(), bytes, fd, out int errno);
        Assert.True(sent == bytes.Length, $"sendmsg: {sent}, errno {errno}");
    }

    /// <summary>Sends with NEED_REPLY and returns the ack (0 success).</summary>
    public ulong SendAcked(VhostRequest request, ReadOnlySpan<byte> payload, int fd = -1)
    {
        Send(request, payload, fd, VhostProtocol.Version | VhostProtocol.FlagNeedReply);
        return ReadReply(request);
    }

    public ulong RequestU64(VhostRequest request)
    {
        Send(request, []);
        return ReadReply(request);
    }

    public ulong ReadReply(VhostRequest request)
    {
        var buffer = new byte[VhostProtocol.HeaderSize + 8];
        int got = 0;
        while (got < buffer.Length)
        {
            int n = Socket.Receive(buffer, got, buffer.Length - got, SocketFlags.None);
            Assert.True(n > 0, "the backend closed the connection");
            got += n;
        }

        Assert.Equal((uint)request, BitConverter.ToUInt32(buffer));
        Assert.Equal(VhostProtocol.Version | VhostProtocol.FlagReply, BitConverter.ToUInt32(buffer, 4));
        return BitConverter.ToUInt64(buffer, VhostProtocol.HeaderSize);
    }

    /// <summary>True when the backend closed the connection (reads end of stream within the timeout).</summary>
    public bool WaitClosed()
    {
        var buffer = new byte[64];
        try
        {
            while (true)
            {
                if (Socket.Receive(buffer) == 0)
                {
                    return true;
                }
            }
        }
        catch (SocketException)
        {
            return false;
        }
    }

    // ---- the rings ----

    public void WriteDescriptor(int ring, int index, ulong address, uint length, ushort flags, ushort next)
    {
        byte* d = At(RingOffset(ring) + (index * 16));
        *(ulong*)d = address;
        *(uint*)(d + 8) = length;
        *(ushort*)(d + 12) = flags;
        *(ushort*)(d + 14) = next;
    }

    /// <summary>Makes descriptor <paramref name="head"/> available on <paramref name="ring"/> and kicks.</summary>
    public void MakeAvailable(int ring, int head, bool kick = true)
    {
        byte* avail = At(RingOffset(ring) + 4096);
        *(ushort*)(avail + 4 + ((_availIdx[ring] % RingSize) * 2)) = (ushort)head;
        _availIdx[ring]++;
        Volatile.Write(ref *(ushort*)(avail + 2), _availIdx[ring]);
        if (kick)
        {
            ulong one = 1;
            Libc.Write(Kick[ring], &one, 8);
        }
    }

    /// <summary>Queues a one-descriptor chain of any address and length on the TX ring (hostile tests).</summary>
    public void SendChain(ulong address, uint length)
    {
        int index = _availIdx[VhostProtocol.TxRing] % RingSize;
        WriteDescriptor(VhostProtocol.TxRing, index, address, length, 0, 0);
        MakeAvailable(VhostProtocol.TxRing, index);
    }

    /// <summary>Queues a frame on the TX ring in one descriptor (header and frame together).</summary>
    public void SendFrame(ReadOnlySpan<byte> frame, ReadOnlySpan<byte> header = default)
    {
        int index = _availIdx[VhostProtocol.TxRing] % RingSize;
        byte* buffer = BufferAt(VhostProtocol.TxRing, index);
        new Span<byte>(buffer, 12).Clear();
        header.CopyTo(new Span<byte>(buffer, 12));
        frame.CopyTo(new Span<byte>(buffer + 12, frame.Length));
        WriteDescriptor(VhostProtocol.TxRing, index, BufferGpa(VhostProtocol.TxRing, index), (uint)(12 + frame.Length), 0, 0);
        MakeAvailable(VhostProtocol.TxRing, index);
    }

    /// <summary>Posts <paramref name="count"/> receive buffers of <paramref name="size"/> bytes on the RX ring.</summary>
    public void PostReceiveBuffers(int count, uint size = BufferSize)
    {
        for (int i = 0; i < count; i++)
        {
            int index = _availIdx[VhostProtocol.RxRing] % RingSize;
            WriteDescriptor(VhostProtocol.RxRing, index, BufferGpa(VhostProtocol.RxRing, index), size, 2, 0);
            MakeAvailable(VhostProtocol.RxRing, index, kick: false);
        }
    }

    public ushort UsedIndex(int ring) => Volatile.Read(ref *(ushort*)At(RingOffset(ring) + 8192 + 2));

    /// <summary>Takes the next used entry of <paramref name="ring"/>, if any: (descriptor id, length).</summary>
    public bool TryTakeUsed(int ring, out int id, out int length)
    {
        id = length = 0;
        if (UsedIndex(ring) == _usedSeen[ring])
        {
            return false;
        }

        byte* element = At(RingOffset(ring) + 8192 + 4 + ((_usedSeen[ring] % RingSize) * 8));
        id = (int)*(uint*)element;
        length = (int)*(uint*)(element + 4);
        _usedSeen[ring]++;
        return true;
    }

    /// <summary>Waits for a frame on the RX ring; returns its bytes after the header, and its num_buffers.</summary>
    public byte[]? ReceiveFrame(TimeSpan timeout, out int numBuffers) => ReceiveFrame(timeout, out numBuffers, out _);

    /// <summary>As <see cref="ReceiveFrame(TimeSpan, out int)"/>, with the frame's 12-byte virtio-net header.</summary>
    public byte[]? ReceiveFrame(TimeSpan timeout, out int numBuffers, out byte[] header)
    {
        numBuffers = 0;
        header = [];
        DateTime end = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < end)
        {
            if (TryTakeUsed(VhostProtocol.RxRing, out int id, out int length))
            {
                byte* buffer = BufferAt(VhostProtocol.RxRing, id);
                numBuffers = *(ushort*)(buffer + 10);
                header = new ReadOnlySpan<byte>(buffer, 12).ToArray();
                var frame = new List<byte>(new ReadOnlySpan<byte>(buffer + 12, Math.Min(length, BufferSize) - 12).ToArray());
                for (int b = 1; b < numBuffers && TakeNext(out int nextId, out int nextLength); b++)
                {
                    frame.AddRange(new ReadOnlySpan<byte>(BufferAt(VhostProtocol.RxRing, nextId), nextLength).ToArray());
                }

                return [.. frame];
            }

            Thread.Sleep(1);
        }

        return null;
    }

    private bool TakeNext(out int id, out int length)
    {
        DateTime end = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (!TryTakeUsed(VhostProtocol.RxRing, out id, out length))
        {
            if (DateTime.UtcNow > end)
            {
                return false;
            }

            Thread.Sleep(1);
        }

        return true;
    }

    public void Dispose()
    {
        Socket.Dispose();
        Libc.Munmap(Base, MemorySize);
        Libc.Close(_memfd);
        foreach (int fd in Kick.Concat(Call))
        {
            Libc.Close(fd);
        }
    }
}
