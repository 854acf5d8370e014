using System.Collections.Concurrent;
using System.Diagnostics;
using FastBridge.Buffers;
using FastBridge.Diagnostics;
using FastBridge.Frames;
using FastBridge.Interop;

namespace FastBridge.Dataplane;

/// <summary>
/// One dataplane thread: it owns a set of ports, receives from them, switches what it received, and transmits what
/// any worker switched towards them.
/// </summary>
/// <remarks>
/// Design: run to completion per burst, in the shape Snabb and netmap VALE use. A frame meets five stages, one file
/// each, in this order (<c>Worker.Switching.cs</c> strings them together): receive and parse
/// (<c>Worker.Receive.cs</c>), learn the source (<c>Worker.Learn.cs</c>), decide — one port, flood, or drop with a
/// reason (<c>Worker.Decide.cs</c>) — for the whole burst first, then act: the flood and storm policy
/// (<c>Worker.Flood.cs</c>) and egress: staging per destination, the ring hand-off or direct transmit, and offload
/// finishing (<c>Worker.Egress.cs</c>). What the stages read (slots, flood list, MAC table, workers) comes from one
/// immutable <see cref="DataplaneView"/>, loaded once per pass; the worker never reaches into the bridge.
/// Ownership: a port is owned by exactly one worker, which alone calls its Receive and drains the rings towards it.
/// Transmit is called by the owner only, unless the port allows <c>ConcurrentTransmit</c> (TAP ports do): then the
/// worker that switched a frame transmits it itself, so such a port's Transmit runs on any worker, possibly on several
/// at once. Each (worker, port) ring has one producer and one consumer.
/// Waiting: after a configured number of empty passes (<c>BridgeOptions.IdleSpins</c>) the worker announces it is
/// going to sleep, lets each port arm its wake-up (<c>Port.PrepareToSleep</c>), makes one more pass (so a frame queued
/// before the announcement or the arming is not missed), then blocks in epoll
/// on its ports' fds and its own eventfd. A producer that queued frames for a sleeping worker signals the eventfd (a
/// Dekker handshake with a full fence on both sides; one syscall per burst at most, none while the worker is awake).
/// Thread-safety: everything here but <see cref="Wake"/>, <see cref="Post"/>, <see cref="UseView"/> and the counters'
/// readers runs on the worker thread. Port membership changes arrive as commands, applied between passes.
/// Performance: no allocation, lock, exception or log per frame; counters are per worker (<see cref="CounterBlock"/>).
/// </remarks>
internal sealed partial class Worker : IDisposable
{
    private const int WaitTimeoutMs = 200;

    private readonly PacketPool _pool;
    private readonly int _burst;
    private readonly int _idleSpins;
    private readonly Epoll _epoll;
    private readonly EventFd _wakeFd;
    private readonly ConcurrentQueue<WorkerCommand> _commands = new();
    private readonly Thread _thread;

    private DataplaneView? _view;
    private PortSlot[] _owned = [];
    private int[] _ownedQueue = []; // _ownedQueue[i]: which queue of _owned[i] this worker receives (0 unless multi-queue)
    private bool[] _polled = [];

    private long _allocatedBytes;
    private int _sleeping;
    private int _wakePending;
    private long _passes;
    private long _idleSince;
    private volatile bool _stop;

    /// <param name="id">This worker's index in <see cref="DataplaneView.Workers"/>.</param>
    /// <param name="pool">The frame buffers every port receives into.</param>
    /// <param name="burst">Frames received, staged or transmitted per call.</param>
    /// <param name="idleSpins">Empty passes before the worker sleeps.</param>
    /// <param name="maxPorts">Highest port id + 1.</param>
    /// <param name="workers">Number of workers of the bridge.</param>
    public Worker(int id, PacketPool pool, int burst, int idleSpins, int maxPorts, int workers)
    {
        _pool = pool;
        Id = id;
        _burst = burst;
        _idleSpins = idleSpins;
        _epoll = new Epoll(64);
        _wakeFd = new EventFd();
        _epoll.Add(_wakeFd.Fd, -1);
        _rx = new Packet[_burst];
        _infos = new FrameInfo[_burst];
        _verdicts = new int[_burst];
        _vlanOf = new int[_burst];
        _floodTargets = new int[maxPorts];
        _floodActions = new TagAction[maxPorts];
        _stage = new int[maxPorts * _burst];
        _stageCount = new int[maxPorts];
        _touched = new int[maxPorts];
        _wakeWorkers = new bool[workers];
        _txIndex = new int[_burst];
        _txPackets = new Packet[_burst];
        _txOutcome = new DropReason[_burst];
        _mirrorCopies = new int[_burst];
        _thread = new Thread(Run) { IsBackground = true, Name = $"fastbridge-worker-{id}" };
    }

    public int Id { get; }

    /// <summary>Number of ports this worker owns (read by the control side to balance new ports).</summary>
    public int PortCount { get; private set; }

    /// <summary>
    /// Bytes this worker thread has allocated on the GC heap, as of its last pass: the proof (tests) that the frame path
    /// allocates nothing. Sampled once per pass, a few nanoseconds against a pass's system calls.
    /// </summary>
    public long AllocatedBytes => Volatile.Read(ref _allocatedBytes);

    /// <summary>Completed loop iterations; a grace period waits for it to move.</summary>
    public long Passes => Volatile.Read(ref _passes);

    public void Start() => _thread.Start();

    /// <summary>Makes <paramref name="view"/> the one the next pass reads; only <see cref="DataplaneView.Publish"/> calls it.</summary>
    internal void UseView(DataplaneView view) => Volatile.Write(ref _view, view);

    public void RequestStop()
    {
        _stop = true;
        Wake();
    }

    public void Join() => _thread.Join();

    public bool IsRunning => _thread.IsAlive;

    /// <summary>Queues a membership change, applied by the worker between passes.</summary>
    public void Post(WorkerCommand command)
    {
        if (command.Kind == WorkerCommandKind.Add)
        {
            PortCount++;
        }
        else if (command.Kind == WorkerCommandKind.Remove)
        {
            PortCount--;
        }

        _commands.Enqueue(command);
        Wake();
    }

    /// <summary>Wakes the worker if it sleeps or is about to (any thread).</summary>
    public void Wake()
    {
        if (Interlocked.Exchange(ref _wakePending, 1) == 0)
        {
            _wakeFd.Signal();
        }
    }

    /// <summary>Producer side of the sleep handshake; the caller has issued a full fence after its enqueue.</summary>
    public void WakeIfSleeping()
    {
        if (Volatile.Read(ref _sleeping) != 0)
        {
            Wake();
        }
    }

    private void Run()
    {
        Interop.IoUringBatch.PrepareThread(); // this worker's io_uring for batched TAP I/O, where the kernel allows one
        Interop.IoUringBatch.Current?.RegisterWakeFd(_wakeFd.Fd); // read completions wake it when it sleeps
        Ports.Port.WorkerIndex = Id; // a multi-queue port transmits this worker's frames through its queue (Port.Queues.cs)
        _pool.AttachThreadCache(); // rent and release through a LIFO of this thread's own: hot buffers, no CAS
        int idle = 0;
        while (!_stop)
        {
            ApplyCommands();
            Volatile.Write(ref _allocatedBytes, GC.GetAllocatedBytesForCurrentThread());
            Volatile.Write(ref _passes, _passes + 1);
            if (Pass() > 0)
            {
                idle = 0;
                continue;
            }

            if (idle == 0)
            {
                _idleSince = Stopwatch.GetTimestamp();
            }

            if (++idle < _idleSpins || SpinsOnRing(idle))
            {
                Thread.SpinWait(8);
                continue;
            }

            Volatile.Write(ref _sleeping, 1);
            Interlocked.MemoryBarrier();
            Interop.IoUringBatch? ring = Interop.IoUringBatch.Current;
            ring?.AllowWake(true); // from here a read completion signals _wakeFd (a full fence follows)
            PrepareOwnedToSleep();
            if (!_commands.IsEmpty || _stop || Pass() > 0)
            {
                ring?.AllowWake(false);
                Volatile.Write(ref _sleeping, 0);
                idle = 0;
                continue;
            }

            _epoll.Wait(WaitTimeoutMs);
            ring?.AllowWake(false);
            Volatile.Write(ref _sleeping, 0);
            _wakeFd.Drain();
            Volatile.Write(ref _wakePending, 0);
            idle = 0;
        }

        ApplyCommands();
        for (int i = 0; i < _owned.Length; i++)
        {
            _owned[i].Port.UnbindReceiveQueue(_ownedQueue[i]); // armed reads cancelled, their buffers back in the pool, before the ring goes
        }

        _pool.DetachThreadCache();
        Interop.IoUringBatch.ReleaseThread();
    }

    /// <summary>One round over the owned ports: receive and switch, then transmit. Returns frames moved.</summary>
    private int Pass()
    {
        int moved = 0;
        DataplaneView? view = Volatile.Read(ref _view); // held for this pass only: see the grace-period rule
        if (view is null)
        {
            return 0;
        }

        PortSlot[] owned = _owned;
        for (int i = 0; i < owned.Length; i++)
        {
            PortSlot slot = owned[i];
            if (slot.Port.State == Ports.PortState.Gone)
            {
                StopPolling(i);
                slot.Port.UnbindReceiveQueue(_ownedQueue[i]); // once: its armed reads cancelled, what they read counted and released
                continue;
            }

            moved += ReceiveAndSwitch(view, slot, _ownedQueue[i]);
        }

        for (int i = 0; i < owned.Length; i++)
        {
            if (_ownedQueue[i] == 0) // the owner of queue 0 alone drains the rings towards the port (one consumer each)
            {
                moved += Transmit(owned[i]);
            }
        }

        if (Interop.IoUringBatch.Current is { } ring)
        {
            ring.Flush(); // reads re-armed this pass and not yet sent along with a write burst (no call when none)
            ring.ReapReads(); // completions for ports already visited this pass wait in their queues, counted below
            if (ring.Undelivered > 0)
            {
                moved++; // frames read and not yet taken: this pass did not find the ports idle
            }
        }

        return moved;
    }

    /// <summary>Lets every owned port arm its wake-up (<see cref="Ports.Port.PrepareToSleep"/>) before the last pass.</summary>
    private void PrepareOwnedToSleep()
    {
        PortSlot[] owned = _owned;
        for (int i = 0; i < owned.Length; i++)
        {
            if (owned[i].Port.State != Ports.PortState.Gone)
            {
                owned[i].Port.PrepareToSleep();
            }
        }
    }

    /// <summary>
    /// Microseconds an idle worker whose ports read through its ring (or from memory: a netdev port's frame ring) keeps
    /// spinning past <c>IdleSpins</c> passes: such passes make no system call and take well under a microsecond, so
    /// counted passes alone would end the spin ~10x sooner than with one readv per port per pass, and the next frame
    /// would find the worker asleep (a wake-up costs RTT). FASTBRIDGE_IDLE_SPIN_US sets it (0: passes only); perf/README.md has the measurements.
    /// </summary>
    private static readonly long s_ringSpinTicks = Stopwatch.Frequency
        * (long.TryParse(Environment.GetEnvironmentVariable("FASTBRIDGE_IDLE_SPIN_US"), out long us) && us >= 0 ? us : 50) / 1_000_000;

    private bool SpinsOnRing(int idle) =>
        idle < 1_000_000 && (Interop.IoUringBatch.Current is { ReadsInFlight: > 0 } || OwnsMemoryPolledPort())
        && Stopwatch.GetTimestamp() - _idleSince < s_ringSpinTicks;

    /// <summary>Whether an owned port receives from shared memory (<see cref="Ports.Port.ReceivesFromMemory"/>): an idle pass over it costs no system call either.</summary>
    private bool OwnsMemoryPolledPort()
    {
        PortSlot[] owned = _owned;
        for (int i = 0; i < owned.Length; i++)
        {
            if (owned[i].Port.ReceivesFromMemory && owned[i].Port.State != Ports.PortState.Gone)
            {
                return true;
            }
        }

        return false;
    }

    private void StopPolling(int ownedIndex)
    {
        if (_polled[ownedIndex])
        {
            _epoll.Remove(_owned[ownedIndex].Port.QueuePollFd(_ownedQueue[ownedIndex]));
            _polled[ownedIndex] = false;
        }
    }

    public void Dispose()
    {
        _epoll.Dispose();
        _wakeFd.Dispose();
    }
}
