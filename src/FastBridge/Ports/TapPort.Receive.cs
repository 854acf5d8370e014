using System.Runtime.CompilerServices;
using FastBridge.Buffers;
using FastBridge.Diagnostics;
using FastBridge.Interop;

namespace FastBridge.Ports;

/// <summary>The receive path: readv into a small buffer with a large one (or scratch) behind it.</summary>
public sealed unsafe partial class TapPort
{
    private const string ReasonReadBadFd = "device deleted (read: EBADFD)";
    private const string ReasonReadClosed = "descriptor closed (read: EBADF)";
    private const string ReasonReadNoDevice = "device gone (read: ENODEV)";
    private const string ReasonReadNoDeviceOrAddress = "device gone (read: ENXIO)";
    private const string ReasonReceivedAgain = "link up again (frame received)";

    protected internal override int Receive(PacketPool pool, Span<Packet> burst)
    {
        if (State == PortState.Gone)
        {
            return 0;
        }

        int fd = _fdNumber;
        IoVec* iov = stackalloc IoVec[2];
        iov[0].Length = PacketPool.SmallBufferSize;
        int count = 0;
        while (count < burst.Length)
        {
            if (!pool.TryRent(PacketPool.SmallBufferSize, out Packet head))
            {
                break; // pool dry: the frames wait in the kernel queue
            }

            bool spillsToLarge = EnsureLarge(pool);
            iov[0].Base = head.Pointer;
            if (spillsToLarge)
            {
                iov[1].Base = _large.Pointer + PacketPool.SmallBufferSize;
                iov[1].Length = PacketPool.LargeBufferSize - PacketPool.SmallBufferSize;
            }
            else
            {
                iov[1].Base = _scratchPointer;
                iov[1].Length = ScratchSize;
            }

            nint length = Syscall.Readv(fd, iov, 2, out int errno);
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
                burst[count++] = head;
                continue;
            }

            // A frame longer than both pieces would come back truncated to their size (tun copies what fits, returns
            // the copied length and discards the rest), which is over the limit too. A TAP without a virtio-net header
            // never carries more than 65535 bytes (its MTU stops at 65521), so this guards later vnet/GSO paths.
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
            burst[count++] = whole;
        }

        if (count > 0 && State == PortState.LinkDown)
        {
            // The kernel only transmits on an interface that is up, so a frame from it means the link is back.
            SetState(PortState.Up, ReasonReceivedAgain);
        }

        return count;
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
        switch (errno)
        {
            case Errno.EBADFD:
                SetState(PortState.Gone, ReasonReadBadFd);
                break;
            case Errno.EBADF:
                SetState(PortState.Gone, ReasonReadClosed);
                break;
            case Errno.ENODEV:
                SetState(PortState.Gone, ReasonReadNoDevice);
                break;
            case Errno.ENXIO:
                SetState(PortState.Gone, ReasonReadNoDeviceOrAddress);
                break;
            default:
                _rxErrors++;
                break;
        }
    }
}
