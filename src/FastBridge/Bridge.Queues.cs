using FastBridge.Dataplane;

namespace FastBridge;

/// <summary>Which worker receives which queue of a port, and telling them (Ports/Port.Queues.cs, docs/multiqueue.md).</summary>
public sealed partial class Bridge
{
    /// <summary>
    /// Picks the worker of each of <paramref name="queues"/> queues of a new port (control lock held): each next queue
    /// goes to the worker holding the fewest queues of this port so far, and among those the one receiving the fewest
    /// queues of all ports (lowest index on a tie). So a single-queue port goes to the least-loaded worker, and a port with
    /// as many queues as workers gets one queue on every worker.
    /// </summary>
    private int[] AssignQueueOwners(int queues)
    {
        queues = Math.Max(1, queues);
        var owners = new int[queues];
        Span<int> load = stackalloc int[Workers.Length];
        Span<int> mine = stackalloc int[Workers.Length];
        for (int w = 0; w < Workers.Length; w++)
        {
            load[w] = Workers[w].PortCount;
        }

        for (int q = 0; q < queues; q++)
        {
            int best = 0;
            for (int w = 1; w < Workers.Length; w++)
            {
                if (mine[w] < mine[best] || (mine[w] == mine[best] && load[w] < load[best]))
                {
                    best = w;
                }
            }

            owners[q] = best;
            mine[best]++;
            load[best]++;
        }

        return owners;
    }

    /// <summary>Posts an add or a remove of each of the slot's queues to the worker that receives it; once started, waits until each applied it.</summary>
    private void PostToQueueOwners(WorkerCommandKind kind, PortSlot slot)
    {
        var commands = new WorkerCommand[slot.QueueOwners.Length];
        for (int q = 0; q < commands.Length; q++)
        {
            commands[q] = new WorkerCommand(kind, slot, q);
            Workers[slot.QueueOwners[q]].Post(commands[q]);
        }

        if (_started)
        {
            foreach (WorkerCommand command in commands)
            {
                command.Done.Wait();
            }
        }
    }
}
