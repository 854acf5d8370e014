using FastBridge.Buffers;
using FastBridge.Diagnostics;
using FastBridge.Interop;

namespace FastBridge.Ports.Netdev;

/// <summary>The receive path: walk the TPACKET_V2 slots or TPACKET_V3 blocks the kernel handed over, copy frames out, give them back.</summary>
public sealed unsafe partial class NetdevPort
{
    private const string ReasonDeleted = "interface deleted";
    private const string ReasonDown = "interface down (ENETDOWN)";
    private const string ReasonUpAgain = "interface up again";

    /// <summary>Empty receives between two looks at the socket's error and the link (a power of two).</summary>
    private const int LinkCheckInterval = 32;

    /// <summary>The TPACKET_V2 slot to look at next.</summary>
    private int _slot;

    /// <summary>The block being walked.</summary>
    private int _block;

    /// <summary>Frames of the current block not yet taken; 0 when the block is not open.</summary>
    private int _framesLeft;

    /// <summary>Offset in the current block of the next frame's header.</summary>
    private int _nextFrame;

    private int _emptyReceives;

    /// <summary>SIOCGIFFLAGS request with the interface's name, built once (a link check allocates nothing).</summary>
    private readonly IfReq _linkRequest;

    private long _rxOverMtu;
    private long _rxBadRingFrames;

    /// <summary>Frames longer than <see cref="MaxFrameLength"/> (or cut by the ring), dropped as <see cref="DropReason.OverMtu"/>.</summary>
    internal long RxOverMtu => Volatile.Read(ref _rxOverMtu);

    /// <summary>Ring frames whose header pointed outside their block (never seen from a sane kernel).</summary>
    internal long RxBadRingFrames => Volatile.Read(ref _rxBadRingFrames);

    protected internal override int Receive(PacketPool pool, Span<Packet> burst)
    {
        if (State == PortState.Gone)
        {
            return 0;
        }

        int count = _frameSize != 0 ? ReceiveSlots(pool, burst) : ReceiveBlocks(pool, burst);
        if (count > 0)
        {
            if (State == PortState.LinkDown)
            {
                SetState(PortState.Up, ReasonUpAgain); // a frame came in: the link carries again
            }
        }
        else if ((++_emptyReceives & (LinkCheckInterval - 1)) == 0)
        {
            CheckLink();
        }

        return count;
    }

    /// <summary>TPACKET_V3: the frames of the blocks the kernel handed over.</summary>
    private int ReceiveBlocks(PacketPool pool, Span<Packet> burst)
    {
        int count = 0;
        while (count < burst.Length)
        {
            byte* block = _ring + ((nint)_block * _blockSize);
            var bytes = new ReadOnlySpan<byte>(block, _blockSize);
            if (_framesLeft == 0)
            {
                if ((Volatile.Read(ref *(uint*)(block + RingFrame.BlockStatusOffset)) & RingFrame.StatusUser) == 0)
                {
                    break; // the kernel still fills this block: nothing more waiting
                }

                _framesLeft = RingFrame.BlockPacketCount(bytes);
                _nextFrame = RingFrame.BlockFirstPacket(bytes);
                if (_framesLeft == 0)
                {
                    ReturnBlock(block);
                    continue;
                }
            }

            if (!RingFrame.TryRead(bytes, _nextFrame, out RingFrame frame))
            {
                _rxBadRingFrames++;
                CountReceiveDrop(DropReason.BadRingFrame);
                ReturnBlock(block); // the rest of the block cannot be found without this header
                continue;
            }

            Taken taken = Take(bytes, frame, pool, out Packet packet);
            if (taken == Taken.Wait)
            {
                break; // pool dry: the frame waits in the ring, this block stays ours
            }

            if (taken == Taken.Frame)
            {
                burst[count++] = packet;
            }

            Advance(block, frame);
        }

        return count;
    }

    /// <summary>TPACKET_V2: the slots the kernel handed over, in ring order, each given back as soon as it is copied.</summary>
    private int ReceiveSlots(PacketPool pool, Span<Packet> burst)
    {
        int count = 0;
        while (count < burst.Length)
        {
            byte* slot = _ring + ((nint)_slot * _frameSize);
            if ((Volatile.Read(ref *(uint*)slot) & RingFrame.StatusUser) == 0)
            {
                break; // the kernel has not written this slot yet: nothing more waiting
            }

            var bytes = new ReadOnlySpan<byte>(slot, _frameSize);
            if (!RingFrame.TryReadSlot(bytes, out RingFrame frame))
            {
                _rxBadRingFrames++;
                CountReceiveDrop(DropReason.BadRingFrame);
                ReturnSlot(slot);
                continue;
            }

            Taken taken = _offloads && frame.IsCut && (frame.Status & RingFrame.StatusCopy) != 0
                ? TakeQueued(frame, pool, out Packet packet)
                : Take(bytes, frame, pool, out packet);
            if (taken == Taken.Wait)
            {
                break; // pool dry: the frame waits in its slot
            }

            if (taken == Taken.Frame)
            {
                burst[count++] = packet;
            }

            ReturnSlot(slot);
        }

        return count;
    }

    /// <summary>Hands a TPACKET_V2 slot back (TP_STATUS_KERNEL, a release store) and moves to the next one.</summary>
    private void ReturnSlot(byte* slot)
    {
        Volatile.Write(ref *(uint*)slot, 0u);
        _slot = _slot + 1 == _frameCount ? 0 : _slot + 1;
    }

    /// <summary>Moves past <paramref name="frame"/>; gives the block back after its last frame.</summary>
    private void Advance(byte* block, in RingFrame frame)
    {
        if (--_framesLeft == 0 || frame.NextOffset == 0)
        {
            ReturnBlock(block);
            return;
        }

        _nextFrame = frame.NextOffset;
    }

    /// <summary>Hands the block back to the kernel (TP_STATUS_KERNEL, a release store) and moves to the next one.</summary>
    private void ReturnBlock(byte* block)
    {
        Volatile.Write(ref *(uint*)(block + RingFrame.BlockStatusOffset), 0u);
        _framesLeft = 0;
        _nextFrame = 0;
        _block = _block + 1 == _blockCount ? 0 : _block + 1;
    }

    /// <summary>
    /// Reads (and so clears) the socket's pending error, and when it says the link went away, or the port is not up,
    /// finds out whether the interface was deleted (the socket's bound index is -1 then), is down, or is back.
    /// Two or three system calls, once every <see cref="LinkCheckInterval"/> empty receives.
    /// </summary>
    private void CheckLink()
    {
        int error = 0;
        uint size = sizeof(int);
        if (PacketSocket.GetSockOpt(_fdNumber, PacketSocket.SOL_SOCKET, PacketSocket.SO_ERROR, &error, &size) < 0)
        {
            return;
        }

        if (error == 0 && State == PortState.Up)
        {
            return;
        }

        SockAddrLl bound = default;
        uint length = (uint)sizeof(SockAddrLl);
        if (PacketSocket.GetSockName(_fdNumber, &bound, &length) < 0 || bound.IfIndex != _ifIndex)
        {
            SetState(PortState.Gone, ReasonDeleted);
            return;
        }

        IfReq request = _linkRequest;
        if (Syscall.Ioctl(_fdNumber, Libc.SIOCGIFFLAGS, &request, out _) < 0)
        {
            return;
        }

        const short UpAndRunning = Libc.IFF_UP | Libc.IFF_RUNNING;
        if ((request.Flags & UpAndRunning) == UpAndRunning)
        {
            SetState(PortState.Up, ReasonUpAgain);
        }
        else
        {
            SetState(PortState.LinkDown, ReasonDown);
        }
    }
}
