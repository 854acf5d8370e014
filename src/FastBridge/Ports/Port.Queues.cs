using FastBridge.Buffers;

namespace FastBridge.Ports;

/// <summary>
/// Ports with several queues (a multi-queue TAP today; vhost-user's virtqueue pairs are the same shape): each queue is
/// received by one worker, and each worker transmits to a queue of its own, so the workers of a busy port never share a
/// descriptor or a ring and frame rate grows with them (docs/multiqueue.md).
/// </summary>
/// <remarks>
/// Design: the engine sees one port (one id, one set of counters, one MAC-learning identity) and asks it how many
/// queues it has (<see cref="QueueCount"/>). The bridge gives each queue to a worker, one queue per worker while there
/// are enough, and tells the port which worker reads which queue (<see cref="AssignQueues"/>); the worker that owns
/// queue q calls <see cref="ReceiveQueue"/>(q) and polls <see cref="QueuePollFd"/>(q). Queue 0 belongs to the port's
/// owner, which alone drains the rings towards it, so a port without <see cref="ConcurrentTransmit"/> keeps its
/// single-thread contract on the transmit side. Transmit keeps its signature: a multi-queue port picks the queue of the
/// calling worker from <see cref="WorkerIndex"/>, the way a NIC driver picks the transmit queue of the current CPU
/// (XPS) and Open vSwitch gives each PMD thread a static transmit queue id.
/// Thread-safety: <see cref="ReceiveQueue"/>(q) runs on queue q's owner only (different queues on different threads at
/// once); <see cref="AssignQueues"/> runs on the control side before any worker reaches the port.
/// Performance: a single-queue port pays one extra virtual call per receive burst (the default
/// <see cref="ReceiveQueue"/> calls <see cref="Receive"/>), and nothing per frame.
/// </remarks>
public abstract partial class Port
{
    [ThreadStatic]
    private static int s_workerIndex;

    /// <summary>
    /// The index of the dataplane worker running on the calling thread (0 on any other thread): what a multi-queue port's
    /// <see cref="Transmit"/> reads to write to that worker's queue. Set once by each worker thread when it starts.
    /// </summary>
    internal static int WorkerIndex
    {
        get => s_workerIndex;
        set => s_workerIndex = value;
    }

    /// <summary>Queues the port is received through, each by one worker; 1 (the default) for a single-queue port.</summary>
    internal virtual int QueueCount => 1;

    /// <summary>The descriptor that becomes readable when queue <paramref name="queue"/> has frames (queue 0: <see cref="PollFd"/>).</summary>
    internal virtual int QueuePollFd(int queue) => PollFd;

    /// <summary>
    /// Receives a burst from queue <paramref name="queue"/>, as <see cref="Receive"/> does for a single-queue port (the
    /// default calls it). Called only by the worker that owns that queue.
    /// </summary>
    internal virtual int ReceiveQueue(int queue, PacketPool pool, Span<Packet> burst) => Receive(pool, burst);

    /// <summary>
    /// Tells a multi-queue port which worker receives each of its queues (<paramref name="owners"/>[q]) among
    /// <paramref name="workers"/> workers, so it can send each worker's frames through the queue that worker reads.
    /// Called by the bridge when the port is added, before any worker reaches it.
    /// </summary>
    internal virtual void AssignQueues(ReadOnlySpan<int> owners, int workers)
    {
    }

    /// <summary>
    /// The owning worker of <paramref name="queue"/> takes it (on its thread): binds that queue's reads to the worker's
    /// own resources (<see cref="BindReceive"/>); a single-queue port has only queue 0.
    /// </summary>
    internal virtual void BindReceiveQueue(int queue)
    {
        if (queue == 0)
        {
            BindReceive();
        }
    }

    /// <summary>The owning worker of <paramref name="queue"/> lets it go or stops: undoes <see cref="BindReceiveQueue"/>.</summary>
    internal virtual void UnbindReceiveQueue(int queue)
    {
        if (queue == 0)
        {
            UnbindReceive();
        }
    }
}
