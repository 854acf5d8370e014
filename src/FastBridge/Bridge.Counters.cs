using FastBridge.Dataplane;
using FastBridge.Diagnostics;

namespace FastBridge;

public sealed partial class Bridge
{
    private long _removedLearned;
    private long _removedMoved;
    private long _removedTableFull;
    private long _removedFlooded;
    private long _removedEvicted;
    private long _removedPortLimit;
    private long _removedFlaps;

    /// <summary>
    /// Sums every worker's counters into a snapshot. Costs the dataplane nothing: workers keep counting in their own
    /// blocks while this reads them.
    /// </summary>
    public BridgeCounters ReadCounters()
    {
        var ports = new List<PortCounters>();
        long learned = Volatile.Read(ref _removedLearned);
        long moved = Volatile.Read(ref _removedMoved);
        long full = Volatile.Read(ref _removedTableFull);
        long flooded = Volatile.Read(ref _removedFlooded);
        long evicted = Volatile.Read(ref _removedEvicted);
        long portLimit = Volatile.Read(ref _removedPortLimit);
        long flaps = Volatile.Read(ref _removedFlaps);
        for (int id = 0; id < _slots.Length; id++)
        {
            PortSlot? slot = Volatile.Read(ref _slots[id]);
            if (slot is null)
            {
                continue;
            }

            var port = new PortCounters(slot.Port.Name, slot.Id, slot.Port.State, slot.Port.StateReason, slot.Port.GetType().Name);
            foreach (CounterBlock block in slot.Counters)
            {
                port.Add(block);
                learned += Volatile.Read(ref block.Learned);
                moved += Volatile.Read(ref block.Moved);
                full += Volatile.Read(ref block.TableFull);
                evicted += Volatile.Read(ref block.Evicted);
                portLimit += Volatile.Read(ref block.PortLimit);
                flaps += Volatile.Read(ref block.Flaps);
            }

            long[] portDrops = slot.Port.ReceiveDrops;
            for (int r = 0; r < portDrops.Length; r++)
            {
                long dropped = Volatile.Read(ref portDrops[r]);
                port.DropCounts[r] += dropped;
                port.RxFrames += dropped;
            }

            flooded += port.Flooded;
            ports.Add(port);
        }

        return new BridgeCounters(ports)
        {
            Learned = learned,
            Moved = moved,
            TableFull = full,
            Flooded = flooded,
            Evicted = evicted,
            PortLimit = portLimit,
            Flaps = flaps,
            Aged = MacTable.AgedTotal,
            MacCount = MacTable.Count,
            MacCapacity = MacTable.Capacity,
        };
    }

    /// <summary>Keeps the switch-wide totals of a port being removed (control lock held).</summary>
    private void RetireCounters(PortSlot slot)
    {
        foreach (CounterBlock block in slot.Counters)
        {
            _removedLearned += block.Learned;
            _removedMoved += block.Moved;
            _removedTableFull += block.TableFull;
            _removedFlooded += block.Flooded;
            _removedEvicted += block.Evicted;
            _removedPortLimit += block.PortLimit;
            _removedFlaps += block.Flaps;
        }
    }
}
