using FastBridge.Dataplane;
using FastBridge.Diagnostics;
using FastBridge.Ports;
using Microsoft.Extensions.Logging;

namespace FastBridge;

public sealed partial class Bridge
{
    /// <summary>
    /// Adds a port, before or after <see cref="Start"/>; the bridge owns it from now on and disposes it when it is
    /// removed or the bridge is disposed. Returns the port's id.
    /// </summary>
    public int AddPort(Port port)
    {
        ArgumentNullException.ThrowIfNull(port);
        lock (_control)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (port.Id >= 0)
            {
                throw new InvalidOperationException($"Port '{port.Name}' already belongs to a bridge.");
            }

            if (FindSlot(port.Name) is not null)
            {
                throw new InvalidOperationException($"A port named '{port.Name}' is already in bridge {Name}.");
            }

            int id = Array.IndexOf(_slots, null);
            if (id < 0)
            {
                throw new InvalidOperationException($"Bridge {Name} is full ({_slots.Length} ports).");
            }

            int[] queueOwners = AssignQueueOwners(port.QueueCount); // Bridge.Queues.cs; [0] is the port's owner
            Worker owner = Workers[queueOwners[0]];
            var slot = new PortSlot(port, id, owner.Id, Workers.Length, _options.RingSize, _options.StormLimit) { QueueOwners = queueOwners };
            port.Id = id;
            port.AssignQueues(queueOwners, Workers.Length);
            port.Attach(Pool, owner.Wake, MacTable);
            slot.LoggedStateVersion = port.StateVersion;
            Volatile.Write(ref _slots[id], slot);
            PostToQueueOwners(WorkerCommandKind.Add, slot);

            slot.Forwarding = port.State != PortState.Gone;
            PublishView();
            _log.LogInformation("port {Port} added (id {Id}, {Kind}, worker {Worker})", port.Name, id, port.GetType().Name, owner.Id);
            return id;
        }
    }

    /// <summary>Removes a port: stops switching to it, forgets its MACs, releases its queued frames, disposes it.</summary>
    public bool RemovePort(string name)
    {
        lock (_control)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            PortSlot? slot = FindSlot(name);
            if (slot is null)
            {
                return false;
            }

            slot.Forwarding = false;
            ForgetMirrorPort(name); // Bridge.Mirrors.cs
            PublishView(); // returns once no worker can still switch a frame to the port

            PostToQueueOwners(WorkerCommandKind.Remove, slot); // every worker that receives one of its queues lets go

            int forgotten = MacTable.RemovePort(slot.Id);
            DrainInbound(slot);
            RetireCounters(slot);
            Volatile.Write(ref _slots[slot.Id], null);
            PublishView(); // and once no worker can still reach its slot
            slot.Port.Detach();
            slot.Port.Dispose();
            slot.Port.Id = -1;
            _log.LogInformation("port {Port} removed ({Macs} MAC entries forgotten)", name, forgotten);
            return true;
        }
    }

    private PortSlot? FindSlot(string name)
    {
        foreach (PortSlot? slot in _slots)
        {
            if (slot is not null && slot.Port.Name == name)
            {
                return slot;
            }
        }

        return null;
    }

    /// <summary>
    /// Publishes a new view of the slots and flood list (control lock held); returns once no worker can still use the
    /// old one, so what only the old view reached may then be freed.
    /// </summary>
    private void PublishView()
    {
        var view = new DataplaneView(_slots, MacTable, Workers, BuildMirrors());
        Volatile.Write(ref _view, view);
        view.Publish(_started);
    }

    /// <summary>Releases frames still queued towards a port nobody transmits to any more, counting them as port-down.</summary>
    private void DrainInbound(PortSlot slot)
    {
        for (int w = 0; w < slot.Inbound.Length; w++)
        {
            CounterBlock c = slot.Counters[w];
            while (slot.Inbound[w].TryDequeue(out int index))
            {
                c.Drop(DropReason.PortDown);
                Pool.Release(index);
            }
        }
    }
}
