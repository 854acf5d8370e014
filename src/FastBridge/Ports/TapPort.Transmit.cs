using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using FastBridge.Buffers;
using FastBridge.Diagnostics;
using FastBridge.Interop;
using FastBridge.Offloads;

namespace FastBridge.Ports;

/// <summary>The transmit path: one write() per frame, or writev([virtio-net header], [frame]) with a header.</summary>
public sealed unsafe partial class TapPort
{
    private const string ReasonWriteLinkDown = "interface set down (write: EIO)";
    private const string ReasonWriteBadFd = "device deleted (write: EBADFD)";
    private const string ReasonWriteClosed = "descriptor closed (write: EBADF)";
    private const string ReasonWriteNoDevice = "device gone (write: ENODEV)";
    private const string ReasonWriteNoDeviceOrAddress = "device gone (write: ENXIO)";
    private const string ReasonLinkUpAgain = "link up again";

    /// <summary>Each write is its own system call and the port keeps no per-call state, so any worker may transmit.</summary>
    protected internal override bool ConcurrentTransmit => true;

    protected internal override void Transmit(ReadOnlySpan<Packet> frames, Span<DropReason> outcome)
    {
        if (_queues is not null && TransmitThroughQueue(frames, outcome))
        {
            return; // a multi-queue port: the calling worker's queue took the burst (TapPort.MultiQueue.cs)
        }

        int i = 0;
        if (!_batchRefused && State != PortState.Gone && IoUringBatch.Current is { } ring && (frames.Length >= 2 || ring.HasQueued))
        {
            i = TransmitBatched(ring, frames, outcome);
        }

        if (i < frames.Length && State != PortState.Gone)
        {
            int fd = _fdNumber;
            int header = _vnetHeaderSize;
            IoVec* iov = stackalloc IoVec[2];
            byte* virtio = stackalloc byte[MaxVnetHeaderSize];
            new Span<byte>(virtio, header).Clear(); // num_buffers and anything after the 10 fields stay zero
            iov[0].Base = virtio;
            iov[0].Length = (nuint)header;
            for (; i < frames.Length; i++)
            {
                Packet frame = frames[i];
                nint written;
                int errno;
                if (header == 0)
                {
                    written = Syscall.Write(fd, frame.Pointer, frame.Length, out errno);
                }
                else
                {
                    WriteHeader(virtio, frame.Offload);
                    iov[1].Base = frame.Pointer;
                    iov[1].Length = (nuint)frame.Length;
                    written = Syscall.Writev(fd, iov, 2, out errno);
                }

                if (written >= 0)
                {
                    outcome[i] = DropReason.None;
                    if (State == PortState.LinkDown)
                    {
                        SetState(PortState.Up, ReasonLinkUpAgain);
                    }

                    continue;
                }

                DropReason reason = OnWriteError(errno);
                outcome[i] = reason;
                if (reason == DropReason.PortDown)
                {
                    // Down or gone: the rest of the burst would fail the same way; the next burst tries again.
                    i++;
                    break;
                }
            }
        }

        if (i < frames.Length)
        {
            outcome[i..frames.Length].Fill(DropReason.PortDown);
        }
    }

    /// <summary>The 10 fields of struct virtio_net_hdr, little-endian, from the frame's offload metadata.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WriteHeader(byte* h, in OffloadInfo info)
    {
        if (info.IsNone)
        {
            *(ulong*)h = 0;
            *(ushort*)(h + 8) = 0;
            return;
        }

        h[0] = (byte)info.Flags;
        h[1] = (byte)info.GsoType;
        BinaryPrimitives.WriteUInt16LittleEndian(new Span<byte>(h + 2, 2), info.HeaderLength);
        BinaryPrimitives.WriteUInt16LittleEndian(new Span<byte>(h + 4, 2), info.GsoSize);
        BinaryPrimitives.WriteUInt16LittleEndian(new Span<byte>(h + 6, 2), info.ChecksumStart);
        BinaryPrimitives.WriteUInt16LittleEndian(new Span<byte>(h + 8, 2), info.ChecksumOffset);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private DropReason OnWriteError(int errno)
    {
        if (errno == Errno.EIO)
        {
            SetState(PortState.LinkDown, ReasonWriteLinkDown);
            return DropReason.PortDown;
        }

        if (GoneReason(errno, write: true) is { } reason)
        {
            SetState(PortState.Gone, reason);
            return DropReason.PortDown;
        }

        return DropReason.TxError; // EAGAIN, ENOBUFS, EINVAL (runt), ...
    }

    /// <summary>
    /// Why the device is gone when a read or a write fails with <paramref name="errno"/> (device deleted or gone,
    /// descriptor closed); null for any errno that does not mean so. One list for both directions; the reasons are
    /// constants, so a fault allocates nothing.
    /// </summary>
    private static string? GoneReason(int errno, bool write) => errno switch
    {
        Errno.EBADFD => write ? ReasonWriteBadFd : ReasonReadBadFd,
        Errno.EBADF => write ? ReasonWriteClosed : ReasonReadClosed,
        Errno.ENODEV => write ? ReasonWriteNoDevice : ReasonReadNoDevice,
        Errno.ENXIO => write ? ReasonWriteNoDeviceOrAddress : ReasonReadNoDeviceOrAddress,
        _ => null,
    };
}
