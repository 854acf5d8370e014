using FastBridge.Buffers;
using FastBridge.Diagnostics;
using FastBridge.Interop;

namespace FastBridge.Ports;

/// <summary>The batched transmit path: a burst's writev calls go to the kernel in one io_uring_enter.</summary>
/// <remarks>
/// Only what is already there is batched: a burst the worker has in hand, submitted at once and waited for until
/// every write of it completed (TAP writes complete inline), so no frame waits for others to arrive. One frame, or a
/// thread without a ring (io_uring refused, a caller that is not a worker), takes the plain writev path.
/// </remarks>
public sealed unsafe partial class TapPort
{
    /// <summary>Set when this fd refused a batched write (no RWF_NOWAIT support): it then always takes the plain path.</summary>
    private bool _batchRefused;

    /// <summary>True once the fd refused a batched write; the port then writes frame by frame (tests read it).</summary>
    internal bool BatchRefused => _batchRefused;

    /// <summary>
    /// Transmits <paramref name="frames"/> through the thread's ring, in chunks of <see cref="IoUringBatch.MaxBatch"/>,
    /// filling <paramref name="outcome"/> as the plain path does. Returns how many frames have an outcome: all of them,
    /// or fewer when the ring failed (the rest were never written; the caller writes them itself).
    /// </summary>
    private int TransmitBatched(IoUringBatch ring, ReadOnlySpan<Packet> frames, Span<DropReason> outcome)
    {
        int header = _vnetHeaderSize;
        int iovPerOp = header > 0 ? 2 : 1;
        int* results = stackalloc int[IoUringBatch.MaxBatch];
        int done = 0;
        while (done < frames.Length)
        {
            int count = Math.Min(frames.Length - done, IoUringBatch.MaxBatch);
            IoVec* iov = ring.Iovecs;
            for (int k = 0; k < count; k++)
            {
                Packet frame = frames[done + k];
                if (header > 0)
                {
                    byte* h = ring.Headers + (k * IoUringBatch.HeaderStride);
                    WriteHeader(h, frame.Offload);
                    new Span<byte>(h + 10, header - 10).Clear(); // num_buffers and anything after the 10 fields
                    iov->Base = h;
                    iov->Length = (nuint)header;
                    iov++;
                }

                iov->Base = frame.Pointer;
                iov->Length = (nuint)frame.Length;
                iov++;
            }

            ring.WritevBatch(_fdNumber, iovPerOp, count, results); // a short fill leaves NotDone results
            for (int k = 0; k < count; k++)
            {
                int result = results[k];
                if (result == IoUringBatch.NotDone)
                {
                    return done + k; // the ring failed before this write: the plain path takes it from here
                }

                if (result == -Errno.EOPNOTSUPP)
                {
                    _batchRefused = true; // the fd cannot write without waiting (RWF_NOWAIT): nothing was written
                    return done + k;
                }

                if (result >= 0)
                {
                    outcome[done + k] = DropReason.None;
                    if (State == PortState.LinkDown)
                    {
                        SetState(PortState.Up, ReasonLinkUpAgain);
                    }
                }
                else
                {
                    outcome[done + k] = OnWriteError(-result);
                }
            }

            done += count;
        }

        return done;
    }
}
