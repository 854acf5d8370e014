namespace FastBridge.Diagnostics;

/// <summary>
/// Summed counters, one value per <see cref="CounterSchema"/> entry: the common part of a port's and the bridge's
/// snapshot. Read any counter with the indexer; the named properties of the snapshots are shorthands.
/// </summary>
public class CounterValues
{
    internal long[] Values { get; } = new long[CounterSchema.SlotCount];

    public long this[Counter counter] => Values[CounterSchema.CounterBase + (int)counter];

    public long this[CounterDefinition definition] => Values[definition.Slot];

    public long Dropped(DropReason reason) => (uint)reason < (uint)DropReasons.Count ? Values[(int)reason] : 0;

    public long IngressDrops => Sum(DropDirection.Ingress);

    public long EgressDrops => Sum(DropDirection.Egress);

    /// <summary>Non-zero drop counters by name (runt, ring-full, ...).</summary>
    public IReadOnlyDictionary<string, long> Drops
    {
        get
        {
            var drops = new SortedDictionary<string, long>(StringComparer.Ordinal);
            foreach (CounterDefinition d in CounterSchema.Drops)
            {
                if (Values[d.Slot] != 0)
                {
                    drops[d.Name] = Values[d.Slot];
                }
            }

            return drops;
        }
    }

    internal void Add(CounterBlock block)
    {
        for (int i = 0; i < Values.Length; i++)
        {
            Values[i] += block.Read(i);
        }
    }

    internal void Add(CounterValues other)
    {
        for (int i = 0; i < Values.Length; i++)
        {
            Values[i] += Volatile.Read(ref other.Values[i]);
        }
    }

    internal void Add(Counter counter, long value) => Values[CounterSchema.CounterBase + (int)counter] += value;

    internal void AddDrop(DropReason reason, long value) => Values[(int)reason] += value;

    private long Sum(DropDirection direction)
    {
        long sum = 0;
        foreach (CounterDefinition d in CounterSchema.Drops)
        {
            sum += d.Drop == direction ? Values[d.Slot] : 0;
        }

        return sum;
    }
}
