using FastBridge.Switching;

namespace FastBridge.Dataplane;

/// <summary>
/// Everything a worker reads to switch a frame: the port slots by id, the ids of the ports that take floods, the MAC
/// table and the workers (to wake one after handing it frames). Never changed once built: when ports change, the
/// control side builds a new view and <see cref="Publish"/>es it in place of the old one.
/// </summary>
/// <remarks>
/// Design: read-copy-update, as VPP and OVS hand their datapath a new table. A worker loads its view once at the top of
/// each pass and drops it at the end; between two passes it holds no view (its quiescent point).
/// The grace-period rule, enforced by <see cref="Publish"/>: whatever an old view reaches and the new one does not (a
/// removed port's slot, its rings, the frames queued in them, the port itself) may be freed only after every running
/// worker has passed a quiescent point since the new view was published. <see cref="Publish"/> returns only then, so a
/// caller that frees after it returns is safe. Workers never block, so the wait is at most one pass or one wake-up.
/// Thread-safety: immutable; the arrays are copies nobody writes after construction. <see cref="PortSlot.Forwarding"/>
/// is the one per-port flag that changes between views (a volatile bool the worker checks before staging).
/// </remarks>
internal sealed partial class DataplaneView
{
    public DataplaneView(PortSlot?[] slots, MacTable table, Worker[] workers)
    {
        Slots = (PortSlot?[])slots.Clone();
        Table = table;
        Workers = workers;
        int count = 0;
        foreach (PortSlot? slot in Slots)
        {
            count += slot is { Forwarding: true } ? 1 : 0;
        }

        FloodList = new int[count];
        count = 0;
        foreach (PortSlot? slot in Slots)
        {
            if (slot is { Forwarding: true })
            {
                FloodList[count++] = slot.Id;
            }
        }

        (Policies, FloodByVlan) = BuildPolicies(Slots);
    }

    /// <summary>Slots[id]: the port with that id, or null for a free id.</summary>
    public PortSlot?[] Slots { get; }

    /// <summary>Ids of the ports that take floods, in id order (a port in the list may still stop forwarding).</summary>
    public int[] FloodList { get; }

    public MacTable Table { get; }

    public Worker[] Workers { get; }

    /// <summary>
    /// Makes this view the one every worker reads, then returns once no worker can still hold the view it replaced
    /// (see the grace-period rule above). <paramref name="workersStarted"/> false: no worker thread runs, nothing to wait for.
    /// </summary>
    public void Publish(bool workersStarted)
    {
        foreach (Worker worker in Workers)
        {
            worker.UseView(this);
        }

        if (workersStarted)
        {
            WaitForQuiescentPoint();
        }
    }

    private void WaitForQuiescentPoint() => WaitForQuiescentPoint(Workers);

    /// <summary>
    /// Returns once every running worker of <paramref name="workers"/> has started a new pass since the call (RCU's
    /// synchronize): the pass counter moves before the worker loads its view, so two steps mean a whole pass began
    /// after the publication. Also what <see cref="CaptureHub"/> waits for before it reads a detached capture's totals.
    /// </summary>
    internal static void WaitForQuiescentPoint(Worker[] workers)
    {
        Span<long> seen = stackalloc long[workers.Length];
        for (int w = 0; w < workers.Length; w++)
        {
            seen[w] = workers[w].Passes;
            workers[w].Wake();
        }

        for (int w = 0; w < workers.Length; w++)
        {
            var spin = new SpinWait();
            while (workers[w].IsRunning && workers[w].Passes <= seen[w] + 1)
            {
                spin.SpinOnce();
                if (spin.NextSpinWillYield)
                {
                    workers[w].Wake();
                }
            }
        }
    }
}
