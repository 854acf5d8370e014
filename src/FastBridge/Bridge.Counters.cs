using FastBridge.Dataplane;
using FastBridge.Diagnostics;

namespace FastBridge;

public sealed partial class Bridge
{
    /// <summary>Every counter of ports removed so far (control lock held to add; read any time).</summary>
    private readonly CounterValues _retired = new();

    /// <summary>
    /// Sums every worker's counters into a snapshot. Costs the dataplane nothing: workers keep counting in their own
    /// blocks while this reads them.
    /// </summary>
    public BridgeCounters ReadCounters()
    {
        var ports = new List<PortCounters>();
        var counters = new BridgeCounters(ports);
        counters.Add(_retired);
        for (int id = 0; id < _slots.Length; id++)
        {
            PortSlot? slot = Volatile.Read(ref _slots[id]);
            if (slot is null)
            {
                continue;
            }

            var port = new PortCounters(slot.Port.Name, slot.Id, slot.Port.State, slot.Port.StateReason, slot.Port.Kind);
            foreach (CounterBlock block in slot.Counters)
            {
                port.Add(block);
            }

            slot.Port.AddOwnCounters(port); // what the port counted itself (frames it dropped before the switch saw them, ...)
            counters.Add(port);
            ports.Add(port);
        }

        counters.Add(Counter.Aged, MacTable.AgedTotal);
        counters.MacCount = MacTable.Count;
        counters.MacCapacity = MacTable.Capacity;
        counters.AgingSeconds = MacTable.AgingSeconds;
        return counters;
    }

    /// <summary>Keeps the bridge-wide totals of a port being removed (control lock held).</summary>
    private void RetireCounters(PortSlot slot)
    {
        var totals = new CounterValues();
        foreach (CounterBlock block in slot.Counters)
        {
            totals.Add(block);
        }

        slot.Port.AddOwnCounters(totals); // final: the port's worker no longer runs it

        for (int i = 0; i < totals.Values.Length; i++)
        {
            Volatile.Write(ref _retired.Values[i], _retired.Values[i] + totals.Values[i]);
        }
    }
}
