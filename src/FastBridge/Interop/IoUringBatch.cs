using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FastBridge.Interop;

/// <summary>
/// One io_uring per worker thread that hands a burst of writev calls to the kernel with one io_uring_enter: the
/// transmit side of a TAP port pays one system call per burst instead of one per frame.
/// </summary>
/// <remarks>
/// <para>
/// Why: a system call costs about 0.2 µs of CPU on this kind of VM before it does anything, and a 64-byte frame through
/// a TAP costs 5-6 µs in all (perf/README.md, "Where a frame's CPU goes"). Writes to a TAP (or to a socket) complete
/// inline in the submitting thread (RWF_NOWAIT: a write that would block fails with EAGAIN instead of waiting), so
/// <see cref="WriteBatch"/> submits and waits for exactly the operations it queued, which are done by then: it never
/// waits for more work to arrive (no latency traded for rate; the C experiment that lost 4x RTT did).
/// </para>
/// <para>
/// Lifetime: <see cref="PrepareThread"/> (a worker, when it starts) sets up the calling thread's ring;
/// <see cref="ReleaseThread"/> (when it stops) tears it down. Where io_uring is missing or refused (ENOSYS, EPERM under
/// a seccomp profile, io_uring_disabled) the first refusal is remembered and nothing tries again: callers see no ring
/// (<see cref="Current"/> null) and use plain writev. <c>FASTBRIDGE_IO_URING=0</c> in the environment turns it off
/// (measurements side by side). A ring whose io_uring_enter fails for another reason is torn down at once (the kernel
/// then drops whatever it had not consumed) and the thread goes on without one.
/// </para>
/// <para>
/// Thread-safety: a ring belongs to the thread that prepared it ([ThreadStatic]); it is its single submitter and
/// completion reader. Safety: the rings and the SQE array are the kernel's shared mappings, sized from what
/// io_uring_setup reported; the caller's iovecs and the buffers they point to stay valid until WritevBatch returns
/// (every operation has completed by then). Performance: no allocation per call; the iovec, header and result scratch
/// is native memory allocated once per ring.
/// </para>
/// </remarks>
internal sealed unsafe partial class IoUringBatch : IDisposable
{
    /// <summary>Most operations one <see cref="WriteBatch"/> takes (the largest burst a bridge allows).</summary>
    public const int MaxBatch = 256;

    /// <summary>Bytes of header scratch per operation (a virtio-net header is at most 64 bytes).</summary>
    public const int HeaderStride = 64;

    private const int SysIoUringSetup = 425;
    private const int SysIoUringEnter = 426;
    private const int SysIoUringRegister = 427;

    /// <summary>Submission entries asked of io_uring_setup: a write burst plus every read a worker keeps armed.</summary>
    private const uint RingEntries = MaxBatch + MaxReadsInFlight;
    private const uint EnterGetEvents = 1;
    private const byte OpWritev = 2;
    private const byte OpWrite = 23;
    private const long OffSqRing = 0;
    private const long OffCqRing = 0x8000000;
    private const long OffSqes = 0x10000000;
    private const int SqeSize = 64;
    private const int CqeSize = 16;
    private const int MapPopulate = 0x8000;
    private const int MaxRetries = 1000;

    /// <summary>
    /// RWF_NOWAIT: without it io_uring arms a poll and waits when a non-blocking write would block (EAGAIN), and the
    /// submitter, waiting for every result, would wait with it. With it the write fails at once, as writev does; a file
    /// that cannot promise that answers EOPNOTSUPP without writing (the caller then writes itself).
    /// </summary>
    private const int RwfNoWait = 0x8;

    /// <summary>The result an operation keeps when the ring failed before doing it.</summary>
    public const int NotDone = int.MinValue;

    [ThreadStatic]
    private static IoUringBatch? s_current;

    private static volatile bool s_refused = Environment.GetEnvironmentVariable("FASTBRIDGE_IO_URING") == "0";

    private readonly int _ringFd;
    private readonly nint _sqMap;
    private readonly nuint _sqMapSize;
    private readonly nint _cqMap;
    private readonly nuint _cqMapSize;
    private readonly nint _sqesMap;
    private readonly nuint _sqesMapSize;
    private readonly uint* _sqTail;
    private readonly uint* _sqArray;
    private readonly uint _sqMask;
    private readonly uint* _cqHead;
    private readonly uint* _cqTail;
    private readonly uint* _cqFlags;
    private readonly uint* _sqFlags;
    private readonly uint _cqMask;
    private readonly uint _sqEntries;
    private readonly byte* _cqes;
    private readonly byte* _sqes;
    private readonly void* _scratch;
    private bool _disposed;

    /// <summary>The calling thread's ring, or null (not prepared, refused, or torn down after a failure).</summary>
    public static IoUringBatch? Current => s_current;

    /// <summary>Whether io_uring was refused (or turned off) in this process; then no thread gets a ring.</summary>
    public static bool Refused => s_refused;

    /// <summary>Two iovecs per operation, for the caller to fill (<see cref="MaxBatch"/> operations).</summary>
    public IoVec* Iovecs { get; }

    /// <summary>How many of its two iovecs each operation of <see cref="WriteBatch"/> uses (1 or 2).</summary>
    public byte* Pieces { get; }

    /// <summary><see cref="HeaderStride"/> bytes per operation, for headers written in front of each frame.</summary>
    public byte* Headers { get; }

    private IoUringBatch(int ringFd, byte* parameters)
    {
        _ringFd = ringFd;
        uint sqEntries = *(uint*)parameters;
        uint cqEntries = *(uint*)(parameters + 4);
        uint features = *(uint*)(parameters + 20);
        byte* sqOff = parameters + 40; // head, tail, ring_mask, ring_entries, flags, dropped, array, resv1, user_addr
        byte* cqOff = parameters + 80; // head, tail, ring_mask, ring_entries, overflow, cqes, flags, resv1, user_addr
        _sqMapSize = *(uint*)(sqOff + 24) + (sqEntries * sizeof(uint));
        _cqMapSize = *(uint*)(cqOff + 20) + (cqEntries * CqeSize);
        bool singleMap = (features & 1) != 0; // IORING_FEAT_SINGLE_MMAP
        if (singleMap)
        {
            _sqMapSize = _cqMapSize = Math.Max(_sqMapSize, _cqMapSize);
        }

        _sqMap = Map(_sqMapSize, OffSqRing);
        _cqMap = singleMap ? _sqMap : Map(_cqMapSize, OffCqRing);
        _sqesMapSize = sqEntries * SqeSize;
        _sqesMap = Map(_sqesMapSize, OffSqes);
        byte* sq = (byte*)_sqMap;
        byte* cq = (byte*)_cqMap;
        _sqTail = (uint*)(sq + *(uint*)(sqOff + 4));
        _sqMask = *(uint*)(sq + *(uint*)(sqOff + 8));
        _sqFlags = (uint*)(sq + *(uint*)(sqOff + 16));
        _sqArray = (uint*)(sq + *(uint*)(sqOff + 24));
        _cqHead = (uint*)(cq + *(uint*)cqOff);
        _cqTail = (uint*)(cq + *(uint*)(cqOff + 4));
        _cqMask = *(uint*)(cq + *(uint*)(cqOff + 8));
        _cqFlags = (uint*)(cq + *(uint*)(cqOff + 24));
        _sqEntries = sqEntries;
        _cqes = cq + *(uint*)(cqOff + 20);
        _sqes = (byte*)_sqesMap;

        nuint iovBytes = (nuint)(MaxBatch * 2 * sizeof(IoVec));
        nuint headerBytes = MaxBatch * HeaderStride;
        _scratch = NativeMemory.AllocZeroed(iovBytes + headerBytes + MaxBatch);
        Iovecs = (IoVec*)_scratch;
        Headers = (byte*)_scratch + iovBytes;
        Pieces = Headers + headerBytes;
    }

    /// <summary>
    /// Gives the calling thread a ring unless it has one or io_uring was refused; true when it has one afterwards.
    /// Setup only (a worker's start): it allocates.
    /// </summary>
    public static bool PrepareThread()
    {
        if (s_current is not null)
        {
            return true;
        }

        if (s_refused)
        {
            return false;
        }

        s_current = TryCreate();
        return s_current is not null;
    }

    /// <summary>Tears down the calling thread's ring, if any.</summary>
    public static void ReleaseThread()
    {
        s_current?.Dispose();
        s_current = null;
    }

    private static IoUringBatch? TryCreate()
    {
        byte* parameters = stackalloc byte[120]; // struct io_uring_params
        new Span<byte>(parameters, 120).Clear();
        long fd = -1;
        foreach (uint flags in s_setupFlagChoices)
        {
            new Span<byte>(parameters, 120).Clear();
            *(uint*)(parameters + 8) = flags;
            fd = Setup(RingEntries, parameters);
            if (fd >= 0)
            {
                s_deferTaskRun = (flags & SetupDeferTaskRun) != 0;
                break;
            }

            if (Marshal.GetLastPInvokeError() != Errno.EINVAL)
            {
                break; // refused for a reason fewer flags would not change
            }

            // EINVAL: a kernel older than a flag (DEFER_TASKRUN 6.1, COOP_TASKRUN 5.19): try with fewer
        }

        if (fd < 0)
        {
            s_refused = true; // ENOSYS, EPERM (seccomp, io_uring_disabled), ENOMEM (memlock): the same next time
            return null;
        }

        try
        {
            return new IoUringBatch((int)fd, parameters);
        }
        catch (IOException)
        {
            Libc.Close((int)fd);
            s_refused = true;
            return null;
        }
    }

    /// <summary>
    /// Queues <paramref name="count"/> writes on <paramref name="fd"/>, write k taking <see cref="Pieces"/>[k] (1 or 2)
    /// iovecs from <see cref="Iovecs"/> + 2k, submits them with one io_uring_enter and waits for exactly those;
    /// <paramref name="results"/>[k] then holds each one's result (bytes written, or -errno). A write of one piece is an
    /// IORING_OP_WRITE of that buffer (no iovec for the kernel to import) unless <see cref="SingleBuffer"/> is off; one
    /// of two pieces an IORING_OP_WRITEV. Returns how many results are filled: <paramref name="count"/>, or fewer when
    /// the ring failed: it is then torn down (this object is disposed, <see cref="Current"/> is null) and the operations
    /// left with <see cref="NotDone"/> were never done, so the caller may write those frames itself.
    /// </summary>
    public int WriteBatch(int fd, int count, int* results)
    {
        if (_unsubmitted + count > _sqEntries && !Flush())
        {
            new Span<int>(results, count).Fill(NotDone); // the ring failed: nothing of this batch was written
            return 0;
        }

        uint tail = *_sqTail; // this thread is the only producer
        bool single = SingleBuffer;
        for (int k = 0; k < count; k++)
        {
            uint slot = (tail + (uint)k) & _sqMask;
            byte* sqe = _sqes + (slot * SqeSize);
            Unsafe.InitBlockUnaligned(sqe, 0, SqeSize);
            IoVec* iov = Iovecs + (k * 2);
            int pieces = Pieces[k];
            *(int*)(sqe + 4) = fd;
            if (pieces == 1 && single)
            {
                sqe[0] = OpWrite;
                *(ulong*)(sqe + 16) = (ulong)iov->Base;
                *(uint*)(sqe + 24) = (uint)iov->Length;
            }
            else
            {
                sqe[0] = OpWritev;
                *(ulong*)(sqe + 16) = (ulong)iov;
                *(uint*)(sqe + 24) = (uint)pieces;
            }

            *(int*)(sqe + 28) = RwfNoWait; // never parked waiting for room: EAGAIN comes back as it would from writev
            *(ulong*)(sqe + 32) = (ulong)k;
            _sqArray[slot] = slot;
            results[k] = NotDone;
        }

        Volatile.Write(ref *_sqTail, tail + (uint)count);
        int toSubmit = _unsubmitted + count; // read re-arms queued since the last enter go in the same call
        _unsubmitted = 0;
        int submitted = 0;
        int reaped = 0;
        int retries = 0;
        while (reaped < count)
        {
            long r = Enter(_ringFd, (uint)(toSubmit - submitted), (uint)(count - reaped), EnterGetEvents);
            if (r < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                reaped += Reap(results);
                if ((errno is Errno.EINTR or Errno.EAGAIN or Errno.EBUSY) && ++retries < MaxRetries)
                {
                    continue; // interrupted, or completions to take first: submit the rest again
                }

                Fail(); // the kernel drops what it had not consumed
                return reaped;
            }

            submitted += (int)r;
            reaped += Reap(results);
        }

        return reaped;
    }

    /// <summary>
    /// Takes every completion there is: a write's result into <paramref name="results"/> (when not null), a read's to
    /// the port that armed it, a cancellation's nowhere. Returns how many writes completed.
    /// </summary>
    private int Reap(int* results)
    {
        uint head = *_cqHead;
        uint tail = Volatile.Read(ref *_cqTail);
        int writes = 0;
        for (; head != tail; head++)
        {
            byte* cqe = _cqes + ((head & _cqMask) * CqeSize);
            ulong tag = *(ulong*)cqe;
            int result = *(int*)(cqe + 8);
            if (tag < MaxBatch)
            {
                if (results != null)
                {
                    results[(int)tag] = result;
                }

                writes++;
            }
            else if ((tag & ReadTag) != 0)
            {
                CompleteRead(tag, result);
            }
        }

        Volatile.Write(ref *_cqHead, head);
        return writes;
    }

    /// <summary>True once the ring was torn down (a failure, or its thread released it).</summary>
    public bool IsDisposed => _disposed;

    /// <summary>Tears the ring down after an io_uring_enter failed for good: the thread goes on without one.</summary>
    private void Fail()
    {
        if (ReferenceEquals(s_current, this))
        {
            ReleaseThread();
        }
        else
        {
            Dispose();
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Libc.Munmap(_sqesMap, _sqesMapSize);
        if (_cqMap != _sqMap)
        {
            Libc.Munmap(_cqMap, _cqMapSize);
        }

        Libc.Munmap(_sqMap, _sqMapSize);
        Libc.Close(_ringFd);
        NativeMemory.Free(_scratch);
    }

    private nint Map(nuint size, long offset)
    {
        nint address = Libc.Mmap(0, size, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED | MapPopulate, _ringFd, offset);
        if (address == Libc.MapFailed)
        {
            Errno.ThrowIOException("mmap (io_uring)", Marshal.GetLastPInvokeError());
        }

        return address;
    }

    private static long Setup(uint entries, byte* parameters) => SyscallRaw(SysIoUringSetup, entries, (nint)parameters, 0, 0, 0, 0);

    private static long Enter(int ringFd, uint toSubmit, uint minComplete, uint flags) =>
        SyscallRaw(SysIoUringEnter, ringFd, toSubmit, minComplete, flags, 0, 0);

    private static long Register(int ringFd, uint opcode, nint argument, uint count) =>
        SyscallRaw(SysIoUringRegister, ringFd, opcode, argument, count, 0, 0);

    /// <summary>syscall(2): glibc's is plain assembly that takes its six arguments from the integer registers and the stack.</summary>
    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long SyscallRaw(long number, long a1, long a2, long a3, long a4, long a5, long a6);
}
