using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FastBridge.Buffers;
using FastBridge.Diagnostics;
using FastBridge.Interop;

namespace FastBridge.Ports;

/// <summary>
/// The batched receive path: reads kept armed in the owning worker's io_uring, harvested from its completion queue in
/// user memory and re-armed in bulk with the thread's next io_uring_enter.
/// </summary>
/// <remarks>
/// <para>
/// Why: one readv per frame and, at low rates, one failed readv per TAP per idle-spin pass were most of FastBridge's
/// system calls (perf/README.md, "Where a frame's CPU goes"). With reads armed, a burst of frames costs one
/// io_uring_enter (which the burst's writes share) and an idle pass costs no system call at all: the worker looks at
/// the completion queue in shared memory.
/// </para>
/// <para>
/// Only what is there is taken: <see cref="ReceiveFromRing"/> takes the completions already posted and never waits
/// for more. The number of reads kept armed follows the traffic: it doubles (up to <see cref="MaxArmedReads"/>) when
/// every armed read came back with a frame, falls to the number that did when some found the queue empty, and to 1 after
/// a frame longer than a small buffer (a TCP stream's super-frames then spill, one read at a time, into the large
/// buffer the port keeps rented, with no copy, as on the readv path). A read armed with a spill area of its own
/// (<see cref="_spillArena"/>, 64 KiB of address space per slot, touched only by what spills) has its frame copied into
/// a large buffer when it completes.
/// </para>
/// <para>
/// Each armed read is one buffer, header right in front of the frame (IORING_OP_READ: no iovec for the kernel to
/// import): the port's large buffer (the header in its headroom) or the read's slot of the spill area, from where the
/// frame is copied into the small pool buffer the read holds. With <c>FASTBRIDGE_IO_URING_SINGLE=0</c> it is a readv of
/// its own header scratch, its small buffer and a spill piece (iovecs in native memory of the port, stable while armed). Completions arrive in frame order (see <see cref="IoUringBatch"/>), are queued
/// per port in that order and delivered in it. Accounting: every completion is a frame delivered, a frame dropped under a
/// named counter (oversize, no large buffer, bad offload, port down when the port is gone or removed), or a read that
/// carried no frame (cancelled, or failed: <see cref="RxErrors"/>, a deleted device sets the port Gone).
/// </para>
/// <para>
/// Lifetime: the worker binds the port to its ring when it takes the port (<see cref="BindReceive"/>) and unbinds it
/// when it lets it go or stops (<see cref="UnbindReceive"/>): every armed read is cancelled and waited for, and its
/// buffer goes back to the pool. Without a ring (io_uring refused, <c>FASTBRIDGE_IO_URING=0</c>, or
/// <c>FASTBRIDGE_IO_URING_READS=0</c>), or after the ring failed, the port reads with readv. Thread-safety: all of this
/// runs on the owning worker thread.
/// </para>
/// </remarks>
public sealed unsafe partial class TapPort : IRingReader
{
    /// <summary>Most reads one port keeps armed (a power of two; a burst's worth).</summary>
    internal const int MaxArmedReads = 64;

    private const int SlotFree = 0;
    private const int SlotArmed = 1;
    private const int SlotDone = 2;

    /// <summary>Bytes per slot of <see cref="_slotMemory"/>: three iovecs, then the virtio-net header scratch.</summary>
    private const int SlotStride = 128;

    /// <summary>
    /// Bytes of <see cref="_spillArena"/> per slot: a longest frame and 4 KiB more, so slots do not start 64 KiB apart
    /// (the same cache sets) and a frame over the limit still reads as longer than it.
    /// </summary>
    private const int ArenaStride = ScratchSize + 4096;

    private static readonly bool s_ringReadsOff = Environment.GetEnvironmentVariable("FASTBRIDGE_IO_URING_READS") == "0";

    private IoUringBatch? _readRing;
    private int _readerId = -1;
    private Packet[] _slotFrame = [];
    private byte[] _slotState = [];
    private byte* _slotMemory;
    private byte* _spillArena;
    private int _largeSlot = -1;
    private int[] _doneSlot = [];
    private int[] _doneResult = [];
    private int _doneHead;
    private int _doneCount;
    private int _armed;
    private int _depth = 1;

    /// <summary>Whether this binding reads header and frame as one buffer (<see cref="IoUringBatch.SingleBuffer"/> at bind time).</summary>
    private bool _singleReads;

    /// <summary>True while the port reads through a worker's ring (tests read it).</summary>
    internal bool ReadsBatched => _readRing is { IsDisposed: false };

    /// <summary>Reads armed in the kernel right now (tests read it).</summary>
    internal int ArmedReads => _armed;

    /// <summary>Binds the port's receive side to the calling worker's ring, when it has one that can keep reads armed.</summary>
    internal override void BindReceive()
    {
        if (_readRing is not null || s_ringReadsOff || State == PortState.Gone
            || IoUringBatch.Current is not { ReadsSupported: true } ring)
        {
            return;
        }

        _slotFrame = new Packet[MaxArmedReads];
        _slotState = new byte[MaxArmedReads];
        _doneSlot = new int[MaxArmedReads];
        _doneResult = new int[MaxArmedReads];
        _slotMemory = (byte*)NativeMemory.AllocZeroed((nuint)(MaxArmedReads * SlotStride));
        _spillArena = (byte*)NativeMemory.Alloc((nuint)MaxArmedReads * ArenaStride); // address space; pages only as touched
        _depth = 1;
        _singleReads = IoUringBatch.SingleBuffer;
        _readerId = ring.AddReader(this);
        _readRing = ring;
    }

    /// <summary>
    /// Cancels every armed read and waits for it, returning each buffer to the pool (a frame a read had already
    /// taken is counted as dropped, port down); the port then reads with readv if it reads again.
    /// </summary>
    internal override void UnbindReceive()
    {
        IoUringBatch? ring = _readRing;
        if (ring is null)
        {
            return;
        }

        if (!ring.IsDisposed)
        {
            for (int s = 0; s < MaxArmedReads; s++)
            {
                if (_slotState[s] == SlotArmed)
                {
                    ring.QueueCancel(_readerId, s);
                }
            }

            for (int tries = 0; _armed > 0 && tries < 2000; tries++)
            {
                if (!ring.SubmitAndCollect())
                {
                    break;
                }

                if (_armed > 0 && tries > 0)
                {
                    Thread.Sleep(1); // control path (port removal): bounded, never a wait for ever on the dataplane
                }
            }

            ring.Flush();
        }

        int taken = _doneCount;
        while (_doneCount > 0)
        {
            (int slot, int result) = PopDone();
            DropCompleted(slot, result);
        }

        if (!ring.IsDisposed)
        {
            ring.Delivered(taken);
            ring.RemoveReader(_readerId);
            if (_armed == 0)
            {
                FreeSlots();
            }
        }

        // A ring that failed with reads armed leaves their buffers rented and the slot memory allocated: the kernel may
        // still finish them, so nothing they point at may be reused.
        _readRing = null;
        _readerId = -1;
        _largeSlot = -1;
    }

    bool IRingReader.OnReadComplete(int slot, int result)
    {
        _slotState[slot] = SlotDone;
        _armed--;
        if (State == PortState.Gone)
        {
            DropCompleted(slot, result); // nobody reads a gone port again: account for it now
            return false;
        }

        int at = (_doneHead + _doneCount) & (MaxArmedReads - 1);
        _doneSlot[at] = slot;
        _doneResult[at] = result;
        _doneCount++;
        return true;
    }

    /// <summary>Delivers the completions already posted (up to the burst), then re-arms reads up to the current depth.</summary>
    private int ReceiveFromRing(IoUringBatch ring, PacketPool pool, Span<Packet> burst)
    {
        if (ring.IsDisposed)
        {
            _readRing = null; // failed: the buffers of its reads stay rented (see UnbindReceive); readv from now on
            return 0;
        }

        ring.ReapReads();
        int armedBefore = _armed + _doneCount;
        int taken = 0;
        int count = 0;
        bool spilled = false;
        while (_doneCount > 0 && count < burst.Length)
        {
            (int slot, int result) = PopDone();
            taken++;
            if (TakeCompleted(slot, result, pool, ref spilled) is { IsNull: false } frame)
            {
                burst[count++] = frame;
            }
        }

        if (State == PortState.Gone)
        {
            while (_doneCount > 0)
            {
                (int slot, int result) = PopDone();
                taken++;
                DropCompleted(slot, result);
            }
        }

        ring.Delivered(taken);
        if (taken > 0)
        {
            _depth = spilled ? DepthAfterSpill : _armed + _doneCount == 0 ? Math.Min(MaxArmedReads, armedBefore * 2) : Math.Max(1, taken);
        }

        if (State != PortState.Gone)
        {
            Arm(ring, pool);
        }

        if (count > 0 && State == PortState.LinkDown)
        {
            SetState(PortState.Up, ReasonReceivedAgain);
        }

        return count;
    }

    /// <summary>Turns one completion into a frame to deliver, or releases its buffer (counted) and returns a null packet.</summary>
    private Packet TakeCompleted(int slot, int result, PacketPool pool, ref bool spilled)
    {
        Packet head = _slotFrame[slot];
        _slotFrame[slot] = default;
        _slotState[slot] = SlotFree;
        bool ownsLarge = _largeSlot == slot;
        if (ownsLarge)
        {
            _largeSlot = -1;
        }

        if (result < 0)
        {
            ReleaseIfHeld(head); // a single-buffer read into the port's large buffer holds no small one
            if (-result is not (Errno.ECANCELED or Errno.EAGAIN or Errno.EINTR))
            {
                OnReadError(-result);
            }

            return default;
        }

        int header = _vnetHeaderSize;
        int length = result;
        if (header > 0)
        {
            length = length > header ? length - header : 0; // a read shorter than the header becomes a runt
        }

        if (_singleReads)
        {
            return TakeSingle(slot, head, length, ownsLarge, pool, ref spilled);
        }

        byte* h = _slotMemory + (slot * SlotStride) + (3 * sizeof(IoVec));
        Packet frame = head;
        if (length > PacketPool.SmallBufferSize)
        {
            spilled = true;
            if (length > PacketPool.MaxFrameLength)
            {
                head.Release();
                _rxOversize++;
                CountReceiveDrop(DropReason.Oversize);
                return default;
            }

            if (ownsLarge)
            {
                frame = _large; // the frame's tail is already there, behind room for its head
                _large = default;
            }
            else if (!pool.TryRent(PacketPool.LargeBufferSize, out frame))
            {
                head.Release();
                _rxNoLargeBuffer++;
                CountReceiveDrop(DropReason.NoBuffer);
                return default;
            }
            else
            {
                byte* spill = _spillArena + ((nint)slot * ArenaStride);
                int tail = length - PacketPool.SmallBufferSize;
                Buffer.MemoryCopy(spill, frame.Pointer + PacketPool.SmallBufferSize, tail, tail);
            }

            Buffer.MemoryCopy(head.Pointer, frame.Pointer, PacketPool.SmallBufferSize, PacketPool.SmallBufferSize);
            head.Release();
        }

        return Finish(frame, length, h);
    }

    /// <summary>Sets the frame's length and takes the virtio-net header at <paramref name="h"/> (null packet when it is bad).</summary>
    private Packet Finish(Packet frame, int length, byte* h)
    {
        frame.SetLength(length);
        int header = _vnetHeaderSize;
        if (header > 0 && *(ushort*)h != 0)
        {
            Unsafe.CopyBlockUnaligned(_headerPointer, h, (uint)header); // TakeHeader reads the port's header scratch
            if (!TakeHeader(frame))
            {
                return default;
            }
        }

        return frame;
    }

    /// <summary>Releases a completion's buffer, counting a frame it carried as received and dropped (port down).</summary>
    private void DropCompleted(int slot, int result)
    {
        ReleaseIfHeld(_slotFrame[slot]);
        _slotFrame[slot] = default;
        _slotState[slot] = SlotFree;
        if (_largeSlot == slot)
        {
            _largeSlot = -1;
        }

        if (result > _vnetHeaderSize)
        {
            CountReceiveDrop(DropReason.PortDown);
        }
        else if (result < 0 && -result is not (Errno.ECANCELED or Errno.EAGAIN or Errno.EINTR))
        {
            OnReadError(-result);
        }
    }

    /// <summary>Queues reads into free slots until <see cref="_depth"/> are armed or waiting to be taken.</summary>
    private void Arm(IoUringBatch ring, PacketPool pool)
    {
        int header = _vnetHeaderSize;
        bool single = _singleReads;
        int slot = 0;
        while (_armed + _doneCount < _depth)
        {
            while (_slotState[slot] != SlotFree)
            {
                slot++; // a free slot exists: fewer than MaxArmedReads are in use
            }

            bool ownsLarge = false;
            if (_largeSlot < 0)
            {
                if (EnsureLarge(pool))
                {
                    ownsLarge = true;
                    _largeWaits = 0;
                }
                else if (header > 0 && pool.LargeCount > 0 && ++_largeWaits <= MaxLargeWaits)
                {
                    return; // as on the readv path: super-frames wait in the kernel for a large buffer
                }
            }

            Packet head = default;
            if (!(single && ownsLarge) && !pool.TryRent(PacketPool.SmallBufferSize, out head))
            {
                return; // pool dry: the frames wait in the kernel queue
            }

            bool queued = single
                ? QueueSingle(ring, slot, ownsLarge)
                : QueueVector(ring, slot, head, ownsLarge);
            if (!queued)
            {
                if (!head.IsNull)
                {
                    head.Release(); // the ring's read budget is used up: the next pass tries again
                }

                return;
            }

            _slotFrame[slot] = head;
            _slotState[slot] = SlotArmed;
            _armed++;
            if (ownsLarge)
            {
                _largeSlot = slot;
            }
        }
    }

    /// <summary>A readv of [header scratch,] the small buffer and a spill piece (<c>FASTBRIDGE_IO_URING_SINGLE=0</c>).</summary>
    private bool QueueVector(IoUringBatch ring, int slot, Packet head, bool ownsLarge)
    {
        int header = _vnetHeaderSize;
        IoVec* iov = (IoVec*)(_slotMemory + (slot * SlotStride));
        byte* spill = ownsLarge ? _large.Pointer + PacketPool.SmallBufferSize : _spillArena + ((nint)slot * ArenaStride);
        int pieces = 0;
        if (header > 0)
        {
            iov[pieces].Base = (byte*)iov + (3 * sizeof(IoVec));
            iov[pieces++].Length = (nuint)header;
        }

        iov[pieces].Base = head.Pointer;
        iov[pieces++].Length = PacketPool.SmallBufferSize;
        iov[pieces].Base = spill;
        iov[pieces++].Length = ownsLarge ? PacketPool.LargeBufferSize - PacketPool.SmallBufferSize : (nuint)ScratchSize;
        return ring.QueueReadv(_readerId, slot, _fdNumber, iov, pieces);
    }

    /// <summary>
    /// A read of one buffer: header and frame land contiguous, in the port's large buffer (its headroom holds the
    /// header) or in the slot's spill area, from where the frame is copied into the small buffer when it completes.
    /// </summary>
    private bool QueueSingle(IoUringBatch ring, int slot, bool ownsLarge)
    {
        int header = _vnetHeaderSize;
        return ownsLarge
            ? ring.QueueRead(_readerId, slot, _fdNumber, _large.Pointer - header, header + PacketPool.LargeBufferSize)
            : ring.QueueRead(_readerId, slot, _fdNumber, ArenaFrame(slot) - header, ArenaStride - PacketPool.Headroom + header);
    }

    /// <summary>Where a single-buffer read of slot <paramref name="slot"/> puts the frame (the header just before it).</summary>
    private byte* ArenaFrame(int slot) => _spillArena + ((nint)slot * ArenaStride) + PacketPool.Headroom;

    /// <summary>Turns a completed single-buffer read (<see cref="QueueSingle"/>) into a frame in a pool buffer.</summary>
    private Packet TakeSingle(int slot, Packet head, int length, bool ownsLarge, PacketPool pool, ref bool spilled)
    {
        if (length > PacketPool.SmallBufferSize)
        {
            spilled = true;
        }

        if (length > PacketPool.MaxFrameLength)
        {
            ReleaseIfHeld(head);
            _rxOversize++;
            CountReceiveDrop(DropReason.Oversize);
            return default;
        }

        int header = _vnetHeaderSize;
        if (ownsLarge)
        {
            byte* at = _large.Pointer;
            if (length <= PacketPool.SmallBufferSize && pool.TryRent(PacketPool.SmallBufferSize, out Packet small))
            {
                Buffer.MemoryCopy(at, small.Pointer, length, length); // the port keeps its large buffer for the next read
                return Finish(small, length, at - header);
            }

            Packet whole = _large;
            _large = default;
            return Finish(whole, length, at - header);
        }

        byte* source = ArenaFrame(slot);
        Packet frame = head;
        if (length > PacketPool.SmallBufferSize)
        {
            head.Release();
            if (!pool.TryRent(PacketPool.LargeBufferSize, out frame))
            {
                _rxNoLargeBuffer++;
                CountReceiveDrop(DropReason.NoBuffer);
                return default;
            }
        }

        Buffer.MemoryCopy(source, frame.Pointer, length, length);
        return Finish(frame, length, source - header);
    }

    private static void ReleaseIfHeld(Packet packet)
    {
        if (!packet.IsNull)
        {
            packet.Release();
        }
    }

    private (int Slot, int Result) PopDone()
    {
        int at = _doneHead;
        _doneHead = (at + 1) & (MaxArmedReads - 1);
        _doneCount--;
        return (_doneSlot[at], _doneResult[at]);
    }

    private void FreeSlots()
    {
        NativeMemory.Free(_slotMemory);
        NativeMemory.Free(_spillArena);
        _slotMemory = null;
        _spillArena = null;
    }
}
