using FastBridge.Buffers;
using FastBridge.Diagnostics;
using FastBridge.Interop;

namespace FastBridge.Ports;

/// <summary>The batched transmit path: a burst's writes go to the kernel in one io_uring_enter.</summary>
/// <remarks>
/// Only what is already there is batched: a burst the worker has in hand, submitted at once and waited for until
/// every write of it completed (TAP writes complete inline), so no frame waits for others to arrive. One frame, or a
/// thread without a ring (io_uring refused, a caller that is not a worker), takes the plain writev path. A frame this
/// port holds alone has its virtio-net header written into the buffer's headroom (<see cref="PacketPool.Headroom"/>)
/// and leaves as one buffer (IORING_OP_WRITE: no iovec import); a shared one (a flood) as header scratch and frame.
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
        bool single = IoUringBatch.SingleBuffer;
        int* results = stackalloc int[IoUringBatch.MaxBatch];
        int done = 0;
        while (done < frames.Length)
        {
            int count = Math.Min(frames.Length - done, IoUringBatch.MaxBatch);
            IoVec* iov = ring.Iovecs;
            byte* pieces = ring.Pieces;
            for (int k = 0; k < count; k++, iov += 2)
            {
                Packet frame = frames[done + k];
                byte* data = frame.Pointer;
                if (header == 0)
                {
                    iov->Base = data;
                    iov->Length = (nuint)frame.Length;
                    pieces[k] = 1;
                }
                else if (single && frame.Pool.RefCountOf(frame.Index) == 1)
                {
                    // The sole holder: the header goes in the buffer's headroom, header and frame leave as one piece.
                    WriteHeader(data - header, frame.Offload);
                    new Span<byte>(data - header + 10, header - 10).Clear(); // num_buffers and anything after the 10 fields
                    iov->Base = data - header;
                    iov->Length = (nuint)(header + frame.Length);
                    pieces[k] = 1;
                }
                else
                {
                    // Shared (a flood): other ports may write their own header in front of it at the same time.
                    byte* h = ring.Headers + (k * IoUringBatch.HeaderStride);
                    WriteHeader(h, frame.Offload);
                    new Span<byte>(h + 10, header - 10).Clear();
                    iov[0].Base = h;
                    iov[0].Length = (nuint)header;
                    iov[1].Base = data;
                    iov[1].Length = (nuint)frame.Length;
                    pieces[k] = 2;
                }
            }

            ring.WriteBatch(_fdNumber, count, results); // a short fill leaves NotDone results
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
