using System.Runtime.InteropServices;
using FastBridge.Buffers;
using FastBridge.Diagnostics;
using FastBridge.Interop;

namespace FastBridge.Ports.QemuDgram;

/// <summary>The receive path: one recvmmsg into held pool buffers, then check the sender and the size of each datagram.</summary>
public sealed unsafe partial class DgramPort
{
    /// <summary>Longest frame taken: what a 16-bit length says, as for the stream port; longer datagrams are cut (MSG_TRUNC) and dropped.</summary>
    public const int MaxFrameLength = 65535;

    /// <summary>Datagrams one recvmmsg takes.</summary>
    private const int MaxReceiveBurst = 64;

    /// <summary>What a datagram holds beyond a small pool buffer: each message's own area, touched only by long frames.</summary>
    private const int OverflowSize = MaxFrameLength - PacketPool.SmallBufferSize;

    private byte* _rxMemory;
    private MmsgHdr* _rxMessages;
    private IoVec* _rxPieces;
    private byte* _rxNames;
    private byte* _rxOverflow;
    private readonly Packet[] _rxHeld = new Packet[MaxReceiveBurst];

    private void AllocateReceive()
    {
        int size = (MaxReceiveBurst * sizeof(MmsgHdr)) + (MaxReceiveBurst * 2 * sizeof(IoVec)) + (MaxReceiveBurst * DgramSocket.SlotSize);
        _rxMemory = (byte*)NativeMemory.AllocZeroed((nuint)size);
        _rxMessages = (MmsgHdr*)_rxMemory;
        _rxPieces = (IoVec*)(_rxMessages + MaxReceiveBurst);
        _rxNames = (byte*)(_rxPieces + (MaxReceiveBurst * 2));

        // 4 MiB of address space, but pages are only made real where a long frame lands (frames of a 1500-byte MTU never do).
        _rxOverflow = (byte*)NativeMemory.Alloc((nuint)(MaxReceiveBurst * OverflowSize));
    }

    protected internal override int Receive(PacketPool pool, Span<Packet> burst)
    {
        if (State == PortState.Gone)
        {
            return 0;
        }

        int want = Math.Min(burst.Length, MaxReceiveBurst);
        int ready = 0;
        while (ready < want)
        {
            if (_rxHeld[ready].IsNull && !pool.TryRent(PacketPool.SmallBufferSize, out _rxHeld[ready]))
            {
                break; // pool dry: receive into what is held; the rest waits in the socket (and its sender slows down)
            }

            Prepare(ready);
            ready++;
        }

        int n = ready == 0 ? 0 : Libc.ReceiveMany(_fd, _rxMessages, (uint)ready, out _);
        int count = 0;
        for (int i = 0; i < n; i++)
        {
            DropReason verdict = Accept(pool, i, out Packet frame);
            if (verdict != DropReason.None)
            {
                CountReceiveDrop(verdict);
                continue; // the held buffer stays for the next datagram
            }

            burst[count++] = frame;
        }

        return count;
    }

    /// <summary>Points message <paramref name="i"/> at its name slot, its held buffer and its overflow area.</summary>
    private void Prepare(int i)
    {
        IoVec* pieces = _rxPieces + (i * 2);
        pieces[0].Base = _rxHeld[i].Pointer;
        pieces[0].Length = PacketPool.SmallBufferSize;
        pieces[1].Base = _rxOverflow + ((long)i * OverflowSize);
        pieces[1].Length = OverflowSize;
        MmsgHdr* message = _rxMessages + i;
        message->Header.Name = _rxNames + (i * DgramSocket.SlotSize);
        message->Header.NameLength = DgramSocket.AddressSize;
        message->Header.Iov = pieces;
        message->Header.IovLength = 2;
        message->Header.Control = null;
        message->Header.ControlLength = 0;
        message->Header.Flags = 0;
        message->Length = 0;
    }

    /// <summary>
    /// Checks datagram <paramref name="i"/>: its sender first (a stranger's bytes are not looked at), then its size; the
    /// first frame of a sender while no peer is known makes it the peer. On success <paramref name="frame"/> holds it.
    /// </summary>
    private DropReason Accept(PacketPool pool, int i, out Packet frame)
    {
        frame = default;
        MmsgHdr* message = _rxMessages + i;
        byte* source = _rxNames + (i * DgramSocket.SlotSize);
        int sourceLength = (int)Math.Min(message->Header.NameLength, DgramSocket.AddressSize);
        bool named = sourceLength > 2;
        bool known = Volatile.Read(ref _peerLength) != 0;
        if (!named || (known && !IsPeer(source, sourceLength) && PeerStillThere()))
        {
            return DropReason.DgramForeignSender; // (a peer found gone just now lets this sender be learned below)
        }

        int length = (int)message->Length;
        if ((message->Header.Flags & Libc.MSG_TRUNC) != 0 || length > MaxFrameLength)
        {
            return DropReason.DgramOversize;
        }

        if (length == 0)
        {
            return DropReason.DgramEmpty;
        }

        if (length <= PacketPool.SmallBufferSize)
        {
            frame = _rxHeld[i];
            _rxHeld[i] = default;
        }
        else
        {
            // A long frame: its head is in the held small buffer, its tail in the message's overflow area.
            if (!pool.TryRent(length, out frame))
            {
                return DropReason.NoBuffer;
            }

            new ReadOnlySpan<byte>(_rxHeld[i].Pointer, PacketPool.SmallBufferSize).CopyTo(frame.Buffer);
            new ReadOnlySpan<byte>(_rxOverflow + ((long)i * OverflowSize), length - PacketPool.SmallBufferSize)
                .CopyTo(frame.Buffer[PacketPool.SmallBufferSize..]);
        }

        frame.SetLength(length);
        if (Volatile.Read(ref _peerLength) == 0)
        {
            LearnPeer(source, sourceLength);
        }

        PeerHeard();
        return DropReason.None;
    }

    /// <summary>
    /// Puts <paramref name="datagram"/> from the sockaddr <paramref name="source"/> into receive slot 0 exactly as
    /// recvmmsg scatters one (held buffer, then overflow area, MSG_TRUNC when it does not fit) and runs the receive
    /// path's checks on it: the fuzz target and tests drive the port without a socket. Owner thread only.
    /// </summary>
    internal DropReason Inject(PacketPool pool, ReadOnlySpan<byte> source, ReadOnlySpan<byte> datagram, out Packet frame)
    {
        frame = default;
        if (_rxHeld[0].IsNull && !pool.TryRent(PacketPool.SmallBufferSize, out _rxHeld[0]))
        {
            return DropReason.NoBuffer;
        }

        Prepare(0);
        int nameLength = Math.Min(source.Length, DgramSocket.AddressSize);
        source[..nameLength].CopyTo(new Span<byte>(_rxNames, DgramSocket.AddressSize));
        _rxMessages->Header.NameLength = (uint)nameLength;
        int copied = 0;
        for (int p = 0; p < 2 && copied < datagram.Length; p++)
        {
            IoVec piece = _rxPieces[p];
            int n = Math.Min((int)piece.Length, datagram.Length - copied);
            datagram.Slice(copied, n).CopyTo(new Span<byte>(piece.Base, n));
            copied += n;
        }

        _rxMessages->Length = (uint)copied;
        _rxMessages->Header.Flags = copied < datagram.Length ? Libc.MSG_TRUNC : 0;
        DropReason verdict = Accept(pool, 0, out frame);
        if (verdict != DropReason.None)
        {
            CountReceiveDrop(verdict);
        }

        return verdict;
    }

    private void ReleaseReceiveBuffers()
    {
        for (int i = 0; i < _rxHeld.Length; i++)
        {
            if (!_rxHeld[i].IsNull)
            {
                _rxHeld[i].Release();
                _rxHeld[i] = default;
            }
        }
    }
}
