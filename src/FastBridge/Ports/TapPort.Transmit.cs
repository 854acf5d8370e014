using System.Runtime.CompilerServices;
using FastBridge.Buffers;
using FastBridge.Diagnostics;
using FastBridge.Interop;

namespace FastBridge.Ports;

/// <summary>The transmit path: one write() per frame.</summary>
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
        int i = 0;
        if (State != PortState.Gone)
        {
            int fd = _fdNumber;
            for (; i < frames.Length; i++)
            {
                Packet frame = frames[i];
                if (Syscall.Write(fd, frame.Pointer, frame.Length, out int errno) >= 0)
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

    [MethodImpl(MethodImplOptions.NoInlining)]
    private DropReason OnWriteError(int errno)
    {
        switch (errno)
        {
            case Errno.EIO:
                SetState(PortState.LinkDown, ReasonWriteLinkDown);
                return DropReason.PortDown;
            case Errno.EBADFD:
                SetState(PortState.Gone, ReasonWriteBadFd);
                return DropReason.PortDown;
            case Errno.EBADF:
                SetState(PortState.Gone, ReasonWriteClosed);
                return DropReason.PortDown;
            case Errno.ENODEV:
                SetState(PortState.Gone, ReasonWriteNoDevice);
                return DropReason.PortDown;
            case Errno.ENXIO:
                SetState(PortState.Gone, ReasonWriteNoDeviceOrAddress);
                return DropReason.PortDown;
            default:
                return DropReason.TxError; // EAGAIN, ENOBUFS, EINVAL (runt), ...
        }
    }
}
