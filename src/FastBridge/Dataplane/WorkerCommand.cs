namespace FastBridge.Dataplane;

internal enum WorkerCommandKind
{
    Add,
    Remove,
}

/// <summary>A port membership change for one worker (one queue of the port), with a signal the control side waits on.</summary>
internal sealed class WorkerCommand(WorkerCommandKind kind, PortSlot slot, int queue = 0)
{
    public WorkerCommandKind Kind { get; } = kind;

    public PortSlot Slot { get; } = slot;

    /// <summary>Which of the port's queues the worker takes or lets go (0 for a single-queue port).</summary>
    public int Queue { get; } = queue;

    public ManualResetEventSlim Done { get; } = new(false);
}
