using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FastBridge.Interop;

/// <summary>
/// Reads kept armed in the worker's ring: a port queues reads (<see cref="QueueRead"/>, <see cref="QueueReadv"/>), they go to the
/// kernel with the next io_uring_enter the thread makes (a write burst's, or <see cref="Flush"/> once per pass), and
/// their completions are handed back to the port (<see cref="IRingReader.OnReadComplete"/>) whenever the thread
/// reaps: <see cref="ReapReads"/> reads the completion queue in shared memory, no system call.
/// </summary>
/// <remarks>
/// <para>
/// How a read completes: a read queued while frames wait is done inline in the io_uring_enter that submits it. One
/// queued on an empty TAP is parked on the fd's wait queue; when a frame arrives the kernel queues task work to this
/// thread, which reads the frame into the buffer and posts the completion: with COOP_TASKRUN (the default) the kernel
/// flags it (IORING_SQ_TASKRUN) instead of interrupting the thread, and <see cref="ReapReads"/> runs it (see
/// <see cref="s_setupFlagChoices"/>). So a spinning worker sees frames in user memory with at most one system call, and
/// a worker asleep in epoll_wait is woken by the task work itself and by the eventfd registered here
/// (<see cref="RegisterWakeFd"/>), which the worker keeps quiet while awake through IORING_CQ_EVENTFD_DISABLED
/// (<see cref="AllowWake"/>): a completion signals it only while the worker sleeps. All of a thread's reads run in that
/// thread, one after the other, and post their completions in that order, so the completion order of one fd's reads is
/// the order of its frames.
/// </para>
/// <para>
/// Tags: a read's user_data is <see cref="ReadTag"/> | reader &lt;&lt; 16 | slot; a cancellation's is
/// <see cref="CancelTag"/>; a write's is its index in the batch (below <see cref="MaxBatch"/>). A reader is
/// registered on the thread that owns the ring and never moves to another ring.
/// </para>
/// </remarks>
internal sealed unsafe partial class IoUringBatch
{
    /// <summary>Most reads all ports of one ring keep armed at once (the completion queue has room for them and a write burst).</summary>
    public const int MaxReadsInFlight = 256;

    private const ulong ReadTag = 1UL << 62;
    private const ulong CancelTag = 1UL << 61;
    private const byte OpReadv = 1;
    private const byte OpAsyncCancel = 14;
    private const uint RegisterEventFd = 4;
    private const uint CqEventFdDisabled = 1;
    private const uint SetupCoopTaskRun = 1 << 8;
    private const uint SetupTaskRunFlag = 1 << 9;
    private const uint SetupSingleIssuer = 1 << 12;
    private const uint SetupDeferTaskRun = 1 << 13;
    private const byte OpRead = 22;
    private const uint SqTaskRun = 1 << 2;

    /// <summary>
    /// The io_uring_setup flags tried in turn (the first a kernel accepts wins; EINVAL means a kernel older than a flag).
    /// Default: IORING_SETUP_COOP_TASKRUN | TASKRUN_FLAG: a frame arriving for an armed read does not interrupt the
    /// running worker with an IPI (costly in a VM); the kernel sets IORING_SQ_TASKRUN in the shared flags instead, and
    /// <see cref="ReapReads"/> lets the read finish with one io_uring_enter. A worker asleep in epoll_wait is still woken
    /// (the task work wakes an interruptible sleep, and the registered eventfd). <c>FASTBRIDGE_IO_URING_COOP=0</c>: no
    /// flags (IPI delivery). <c>FASTBRIDGE_IO_URING_DEFER=1</c>: SINGLE_ISSUER | DEFER_TASKRUN first (the read's task
    /// work waits in a list of the ring's until this thread's next io_uring_enter with GETEVENTS; the kernel signals
    /// the registered eventfd and sets IORING_SQ_TASKRUN when the list gets its first item, so a sleeping worker wakes
    /// and a spinning one sees the flag), then the default.
    /// </summary>
    private static readonly uint[] s_setupFlagChoices = Environment.GetEnvironmentVariable("FASTBRIDGE_IO_URING_COOP") == "0"
        ? [0]
        : Environment.GetEnvironmentVariable("FASTBRIDGE_IO_URING_DEFER") == "1"
            ? [SetupSingleIssuer | SetupDeferTaskRun | SetupCoopTaskRun | SetupTaskRunFlag, SetupCoopTaskRun | SetupTaskRunFlag, 0]
            : [SetupCoopTaskRun | SetupTaskRunFlag, 0];

    /// <summary>
    /// Single-buffer operations (default; <c>FASTBRIDGE_IO_URING_SINGLE=0</c> turns them off): a read or a write of one
    /// contiguous buffer is an IORING_OP_READ / IORING_OP_WRITE, not a vectored one: the kernel imports no iovec array.
    /// </summary>
    private static bool s_singleBuffer = Environment.GetEnvironmentVariable("FASTBRIDGE_IO_URING_SINGLE") != "0";

    private static bool s_deferTaskRun;

    /// <summary>
    /// Whether reads and writes of one buffer go to the kernel as such (see <see cref="s_singleBuffer"/>). A port reads
    /// the way it was bound with; tests set it to cover both paths.
    /// </summary>
    public static bool SingleBuffer
    {
        get => Volatile.Read(ref s_singleBuffer);
        internal set => Volatile.Write(ref s_singleBuffer, value);
    }

    /// <summary>True when the last ring set up in this process defers task work (tests and diagnostics read it).</summary>
    internal static bool DeferTaskRun => s_deferTaskRun;

    private IRingReader?[] _readers = new IRingReader?[8];
    private int _unsubmitted;
    private int _readsInFlight;
    private int _undelivered;
    private bool _wakeRegistered;

    /// <summary>True once an eventfd wakes the thread for read completions: only then may ports keep reads armed.</summary>
    public bool ReadsSupported => _wakeRegistered && !_disposed;

    /// <summary>Reads queued or in the kernel, over all readers of this ring.</summary>
    public int ReadsInFlight => _readsInFlight;

    /// <summary>
    /// Registers <paramref name="eventFd"/> to be signalled on completions (off until <see cref="AllowWake"/>); false
    /// when the kernel refuses (the ring then keeps no reads armed: a sleeping worker could not be woken).
    /// </summary>
    public bool RegisterWakeFd(int eventFd)
    {
        int fd = eventFd;
        *_cqFlags |= CqEventFdDisabled;
        _wakeRegistered = Register(_ringFd, RegisterEventFd, (nint)(&fd), 1) == 0;
        return _wakeRegistered;
    }

    /// <summary>
    /// Lets completions signal the wake eventfd (before the thread sleeps) or stops them (once it is awake); a full
    /// fence follows, so a completion posted after it either is seen by the thread's next look or signals the fd.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void AllowWake(bool allow)
    {
        uint flags = Volatile.Read(ref *_cqFlags);
        Volatile.Write(ref *_cqFlags, allow ? flags & ~CqEventFdDisabled : flags | CqEventFdDisabled);
        Interlocked.MemoryBarrier();
    }

    /// <summary>True when operations are queued that no io_uring_enter has handed to the kernel yet.</summary>
    public bool HasQueued => _unsubmitted > 0;

    /// <summary>
    /// Read completions handed to their readers and not yet taken by them (<see cref="Delivered"/>): while any remain,
    /// or <see cref="HasCompletions"/>, the thread has work and must not sleep.
    /// </summary>
    public int Undelivered => _undelivered;

    /// <summary>A reader took <paramref name="count"/> of the completions it was handed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Delivered(int count) => _undelivered -= count;

    /// <summary>True when a completion is waiting in the queue (one load from shared memory).</summary>
    public bool HasCompletions => Volatile.Read(ref *_cqTail) != *_cqHead;

    /// <summary>Adds a reader; returns its id for <see cref="QueueReadv"/>. Setup only (it may allocate).</summary>
    public int AddReader(IRingReader reader)
    {
        int id = Array.IndexOf(_readers, null);
        if (id < 0)
        {
            id = _readers.Length;
            Array.Resize(ref _readers, _readers.Length * 2);
        }

        _readers[id] = reader;
        return id;
    }

    /// <summary>Forgets a reader whose reads have all completed.</summary>
    public void RemoveReader(int id) => _readers[id] = null;

    /// <summary>
    /// Queues a readv of <paramref name="iovCount"/> iovecs (which stay valid until its completion) on
    /// <paramref name="fd"/> for reader <paramref name="reader"/>'s slot <paramref name="slot"/>; false when the ring's
    /// read budget is used up. Nothing reaches the kernel before the thread's next io_uring_enter.
    /// </summary>
    public bool QueueReadv(int reader, int slot, int fd, IoVec* iov, int iovCount)
    {
        if (_readsInFlight >= MaxReadsInFlight || _unsubmitted >= MaxReadsInFlight)
        {
            return false;
        }

        byte* sqe = NextSqe();
        sqe[0] = OpReadv;
        *(int*)(sqe + 4) = fd;
        *(ulong*)(sqe + 16) = (ulong)iov;
        *(uint*)(sqe + 24) = (uint)iovCount;
        *(ulong*)(sqe + 32) = ReadTag | ((ulong)(uint)reader << 16) | (uint)slot;
        _readsInFlight++;
        return true;
    }

    /// <summary>
    /// Queues a read of up to <paramref name="length"/> bytes into <paramref name="buffer"/> (which stays valid until its
    /// completion) as <see cref="QueueReadv"/> does, as one IORING_OP_READ: no iovec for the kernel to import.
    /// </summary>
    public bool QueueRead(int reader, int slot, int fd, byte* buffer, int length)
    {
        if (_readsInFlight >= MaxReadsInFlight || _unsubmitted >= MaxReadsInFlight)
        {
            return false;
        }

        byte* sqe = NextSqe();
        sqe[0] = OpRead;
        *(int*)(sqe + 4) = fd;
        *(ulong*)(sqe + 16) = (ulong)buffer;
        *(uint*)(sqe + 24) = (uint)length;
        *(ulong*)(sqe + 32) = ReadTag | ((ulong)(uint)reader << 16) | (uint)slot;
        _readsInFlight++;
        return true;
    }

    /// <summary>Queues the cancellation of reader <paramref name="reader"/>'s read in slot <paramref name="slot"/>.</summary>
    public void QueueCancel(int reader, int slot)
    {
        if (_unsubmitted >= MaxReadsInFlight)
        {
            Flush();
        }

        byte* sqe = NextSqe();
        sqe[0] = OpAsyncCancel;
        *(int*)(sqe + 4) = -1;
        *(ulong*)(sqe + 16) = ReadTag | ((ulong)(uint)reader << 16) | (uint)slot; // addr: the user_data to cancel
        *(ulong*)(sqe + 32) = CancelTag;
    }

    /// <summary>
    /// Hands every queued operation to the kernel with one io_uring_enter that waits for nothing (reads that find a
    /// frame complete inside it); nothing to do costs no system call. False when the ring failed (it is torn down).
    /// </summary>
    public bool Flush()
    {
        int retries = 0;
        while (_unsubmitted > 0)
        {
            long r = Enter(_ringFd, (uint)_unsubmitted, 0, 0);
            if (r < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if ((errno is Errno.EINTR or Errno.EAGAIN or Errno.EBUSY) && ++retries < MaxRetries)
                {
                    Reap(null); // room in the completion queue first
                    continue;
                }

                Fail();
                return false;
            }

            _unsubmitted -= (int)r;
        }

        return true;
    }

    /// <summary>Hands every read completion waiting in the queue to its reader (no system call).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void ReapReads()
    {
        if ((Volatile.Read(ref *_sqFlags) & SqTaskRun) != 0)
        {
            Enter(_ringFd, 0, 0, EnterGetEvents); // task work waiting (a read's frame arrived): run it here, no IPI
        }

        if (HasCompletions)
        {
            Reap(null);
        }
    }

    /// <summary>
    /// Submits what is queued and lets the kernel finish what it has for this thread (io_uring_enter with GETEVENTS
    /// and nothing to wait for: a cancelled read's completion is posted there), then reaps: the way a reader collects
    /// its cancelled reads. Never blocks. False when the ring failed.
    /// </summary>
    public bool SubmitAndCollect()
    {
        long r = Enter(_ringFd, (uint)_unsubmitted, 0, EnterGetEvents);
        if (r < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno is not (Errno.EINTR or Errno.EAGAIN or Errno.EBUSY))
            {
                Fail();
                return false;
            }
        }
        else
        {
            _unsubmitted -= (int)r;
        }

        Reap(null);
        return true;
    }

    private byte* NextSqe()
    {
        uint tail = *_sqTail; // this thread is the only producer
        uint slot = tail & _sqMask;
        byte* sqe = _sqes + (slot * SqeSize);
        Unsafe.InitBlockUnaligned(sqe, 0, SqeSize);
        _sqArray[slot] = slot;
        Volatile.Write(ref *_sqTail, tail + 1);
        _unsubmitted++;
        return sqe;
    }

    private void CompleteRead(ulong tag, int result)
    {
        _readsInFlight--;
        int reader = (int)((tag >> 16) & 0xFFFF);
        if ((uint)reader < (uint)_readers.Length && _readers[reader] is { } target
            && target.OnReadComplete((int)(tag & 0xFFFF), result))
        {
            _undelivered++;
        }
    }
}
