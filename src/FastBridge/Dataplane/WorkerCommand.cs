namespace FastBridge.Dataplane;

internal enum WorkerCommandKind
{
    Add,
    Remove,
}

/// <summary>A port membership change for one worker, with a signal the control side waits on.</summary>
internal sealed class WorkerCommand(WorkerCommandKind kind, PortSlot slot)
{
    public WorkerCommandKind Kind { get; } = kind;

    public PortSlot Slot { get; } = slot;

    public ManualResetEventSlim Done { get; } = new(false);
}
