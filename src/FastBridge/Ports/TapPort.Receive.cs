using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using FastBridge.Buffers;
using FastBridge.Diagnostics;
using FastBridge.Interop;
using FastBridge.Offloads;

namespace FastBridge.Ports;

/// <summary>The receive path: readv into [virtio-net header,] a small buffer with a large one (or scratch) behind it.</summary>
public sealed unsafe partial class TapPort
{
    private const string ReasonReadBadFd = "device deleted (read: EBADFD)";
    private const string ReasonReadClosed = "descriptor closed (read: EBADF)";
    private const string ReasonReadNoDevice = "device gone (read: ENODEV)";
    private const string ReasonReadNoDeviceOrAddress = "device gone (read: ENXIO)";
    private const string ReasonReceivedAgain = "link up again (frame received)";

    /// <summary>
    /// Empty receive calls in a row after which a port that left its ring for a stream of super-frames
    /// (<see cref="_readsByReadv"/>) arms its ring reads again; 0 keeps super-frames in the ring, one read at a time.
    /// FASTBRIDGE_TAP_STREAM_READV sets it (perf/README.md, "TCP over TAP against Open vSwitch").
    /// </summary>
    private static readonly int s_streamReadvCalls =
        int.TryParse(Environment.GetEnvironmentVariable("FASTBRIDGE_TAP_STREAM_READV"), out int calls) && calls >= 0 ? calls : 64;

    /// <summary>
    /// True while a port whose reads are armed in a ring reads with readv instead: entered once a super-frame came
    /// through the ring and every armed read has completed (the ring arms none after a super-frame,
    /// <see cref="DepthAfterSpill"/>), left after <see cref="s_streamReadvCalls"/> empty calls in a row. A TCP stream's
    /// super-frames then come off the queue all at once, until EAGAIN, and go out as one batch, instead of one read
    /// per pass: its receiver is woken and its ACKs are sent once per batch, not once per super-frame. Small frames
    /// (a 64 B flood, a ping-pong) never spill, so they keep the ring's reads.
    /// </summary>
    private bool _readsByReadv;

    /// <summary>Receive calls in a row that found nothing while <see cref="_readsByReadv"/>.</summary>
    private int _emptyReadvCalls;

    /// <summary>Reads the ring keeps armed after a read that spilled: none when super-frames go to readv, else one.</summary>
    private static int DepthAfterSpill => s_streamReadvCalls > 0 ? 0 : 1;

    protected internal override int Receive(PacketPool pool, Span<Packet> burst)
    {
        if (_readRing is { } ring && !_readsByReadv)
        {
            int received = ReceiveFromRing(ring, pool, burst); // TapPort.BatchRead.cs
            if (_depth == 0 && _armed == 0 && _doneCount == 0 && _readRing is not null)
            {
                _readsByReadv = true; // nothing armed, nothing waiting: readv cannot overtake a read in flight
                _emptyReadvCalls = 0;
            }

            return received;
        }

        if (State == PortState.Gone)
        {
            return 0;
        }

        int fd = _fdNumber;
        int header = _vnetHeaderSize;
        IoVec* iov = stackalloc IoVec[3];
        iov[0].Base = _headerPointer;
        iov[0].Length = (nuint)header;
        int iovCount = header > 0 ? 3 : 2;
        IoVec* pieces = header > 0 ? iov + 1 : iov; // with a virtio-net header, it takes the first piece
        pieces[0].Length = PacketPool.SmallBufferSize;
        int count = 0;
        while (count < burst.Length)
        {
            if (!pool.TryRent(PacketPool.SmallBufferSize, out Packet head))
            {
                break; // pool dry: the frames wait in the kernel queue
            }

            bool spillsToLarge = EnsureLarge(pool);
            if (!spillsToLarge && header > 0 && pool.LargeCount > 0 && ++_largeWaits <= MaxLargeWaits)
            {
                // With offloads most frames of a TCP stream are super-frames: rather than read them into scratch and
                // drop them, leave them in the kernel queue until the writers give large buffers back (as for small).
                // Bounded: a port that waits MaxLargeWaits calls in a row (more offload ports than large buffers, each
                // holding one ahead) reads once the old way, so its small frames still get through.
                head.Release();
                break;
            }

            _largeWaits = 0;

            pieces[0].Base = head.Pointer;
            if (spillsToLarge)
            {
                pieces[1].Base = _large.Pointer + PacketPool.SmallBufferSize;
                pieces[1].Length = PacketPool.LargeBufferSize - PacketPool.SmallBufferSize;
            }
            else
            {
                pieces[1].Base = _scratchPointer;
                pieces[1].Length = ScratchSize;
            }

            nint length = Syscall.Readv(fd, iov, iovCount, out int errno);
            if (length > 0 && header > 0)
            {
                length = length > header ? length - header : 0; // a read shorter than the header becomes a runt
            }

            if (length <= PacketPool.SmallBufferSize)
            {
                if (length < 0)
                {
                    head.Release();
                    if (errno != Errno.EAGAIN)
                    {
                        OnReadError(errno);
                    }

                    break;
                }

                head.SetLength((int)length);
                if (header > 0 && *(ushort*)_headerPointer != 0 && !TakeHeader(head))
                {
                    continue;
                }

                burst[count++] = head;
                continue;
            }

            // A frame longer than both pieces would come back truncated to their size (tun copies what fits, returns
            // the copied length and discards the rest), which is over the limit too. A TAP without a virtio-net header
            // never carries more than 65535 bytes (its MTU stops at 65521); with a header, GSO super-frames come near the limit.
            if (length > PacketPool.MaxFrameLength)
            {
                head.Release();
                _rxOversize++;
                CountReceiveDrop(DropReason.Oversize);
                continue;
            }

            if (!spillsToLarge)
            {
                head.Release();
                _rxNoLargeBuffer++;
                CountReceiveDrop(DropReason.NoBuffer);
                continue;
            }

            Packet whole = _large;
            _large = default;
            Buffer.MemoryCopy(head.Pointer, whole.Pointer, PacketPool.SmallBufferSize, PacketPool.SmallBufferSize);
            head.Release();
            whole.SetLength((int)length);
            if (header > 0 && *(ushort*)_headerPointer != 0 && !TakeHeader(whole))
            {
                continue;
            }

            burst[count++] = whole;
        }

        if (count > 0 && State == PortState.LinkDown)
        {
            // The kernel only transmits on an interface that is up, so a frame from it means the link is back.
            SetState(PortState.Up, ReasonReceivedAgain);
        }

        if (_readsByReadv)
        {
            _emptyReadvCalls = count > 0 ? 0 : _emptyReadvCalls + 1;
            if (_emptyReadvCalls >= s_streamReadvCalls)
            {
                _readsByReadv = false; // the stream has stopped: the next call arms one read in the ring again
                _depth = 1;
            }
        }

        return count;
    }

    /// <summary>
    /// Copies the virtio-net header just read (flags or GSO type set) into <paramref name="frame"/>'s offload metadata
    /// and checks it against the frame; a header that makes no sense drops the frame (released, counted) and returns false.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool TakeHeader(Packet frame)
    {
        byte* h = _headerPointer;
        ref OffloadInfo info = ref frame.Offload;
        info.Flags = (OffloadFlags)h[0];
        info.GsoType = (GsoType)h[1];
        info.HeaderLength = BinaryPrimitives.ReadUInt16LittleEndian(new ReadOnlySpan<byte>(h + 2, 2));
        info.GsoSize = BinaryPrimitives.ReadUInt16LittleEndian(new ReadOnlySpan<byte>(h + 4, 2));
        info.ChecksumStart = BinaryPrimitives.ReadUInt16LittleEndian(new ReadOnlySpan<byte>(h + 6, 2));
        info.ChecksumOffset = BinaryPrimitives.ReadUInt16LittleEndian(new ReadOnlySpan<byte>(h + 8, 2));
        if (!GsoLayout.IsValid(info, frame.Span))
        {
            frame.Release();
            _rxBadOffload++;
            CountReceiveDrop(DropReason.BadOffload);
            return false;
        }

        if (info.GsoType != GsoType.None)
        {
            _rxSuperFrames++;
        }

        return true;
    }

    /// <summary>Makes sure a large buffer of <paramref name="pool"/> is rented for the next read; false when none is free.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool EnsureLarge(PacketPool pool)
    {
        if (!_large.IsNull)
        {
            if (ReferenceEquals(_largePool, pool))
            {
                return true;
            }

            _large.Release();
            _large = default;
        }

        _largePool = pool;
        return pool.TryRent(PacketPool.LargeBufferSize, out _large);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void OnReadError(int errno)
    {
        if (GoneReason(errno, write: false) is { } reason)
        {
            SetState(PortState.Gone, reason);
        }
        else
        {
            _rxErrors++;
        }
    }
}
