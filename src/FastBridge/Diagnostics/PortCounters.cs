using FastBridge.Ports;

namespace FastBridge.Diagnostics;

/// <summary>
/// A snapshot of one port's counters, summed over all workers.
/// Ingress: <c>RxFrames == Forwarded + IngressDrops</c> once the port is idle.
/// Egress: <c>TxOffered == TxFrames + EgressDrops</c> once the port is idle, where TxOffered counts every copy of a
/// frame handed to this port (one per flood target). A GSO super-frame counts as one frame everywhere, also when it is
/// segmented for a port without offloads: transmitted when all its segments were, else dropped under the first
/// segment's reason. RxBytes counts frames as received (a super-frame's own length); TxBytes counts bytes handed to
/// the device (for a segmented super-frame, the sum of its segments that went out).
/// </summary>
public sealed class PortCounters
{
    internal PortCounters(string name, int id, PortState state, string? stateReason, string kind)
    {
        Name = name;
        Id = id;
        State = state;
        StateReason = stateReason;
        Kind = kind;
    }

    public string Name { get; }

    public int Id { get; }

    public string Kind { get; }

    public PortState State { get; }

    public string? StateReason { get; }

    public long RxFrames { get; internal set; }

    public long RxBytes { get; internal set; }

    /// <summary>Received frames that went on towards one port or a flood.</summary>
    public long Forwarded { get; internal set; }

    /// <summary>Received frames that were flooded (broadcast, multicast, unknown unicast).</summary>
    public long Flooded { get; internal set; }

    /// <summary>Copies handed to this port for transmission.</summary>
    public long TxOffered { get; internal set; }

    public long TxFrames { get; internal set; }

    public long TxBytes { get; internal set; }

    internal long[] DropCounts { get; } = new long[DropReasons.Count];

    public long Dropped(DropReason reason) => DropCounts[(int)reason];

    public long IngressDrops => Sum(ingress: true);

    public long EgressDrops => Sum(ingress: false);

    /// <summary>Non-zero drop counters by name (runt, ring-full, ...).</summary>
    public IReadOnlyDictionary<string, long> Drops
    {
        get
        {
            var drops = new SortedDictionary<string, long>(StringComparer.Ordinal);
            for (int i = 1; i < DropCounts.Length; i++)
            {
                if (DropCounts[i] != 0)
                {
                    drops[DropReasons.Name((DropReason)i)] = DropCounts[i];
                }
            }

            return drops;
        }
    }

    private long Sum(bool ingress)
    {
        long sum = 0;
        for (int i = 1; i < DropCounts.Length; i++)
        {
            if (DropReasons.IsIngress((DropReason)i) == ingress)
            {
                sum += DropCounts[i];
            }
        }

        return sum;
    }

    internal void Add(CounterBlock block)
    {
        RxFrames += Volatile.Read(ref block.RxFrames);
        RxBytes += Volatile.Read(ref block.RxBytes);
        Forwarded += Volatile.Read(ref block.Forwarded);
        Flooded += Volatile.Read(ref block.Flooded);
        TxOffered += Volatile.Read(ref block.TxOffered);
        TxFrames += Volatile.Read(ref block.TxFrames);
        TxBytes += Volatile.Read(ref block.TxBytes);
        for (int i = 0; i < DropCounts.Length; i++)
        {
            DropCounts[i] += Volatile.Read(ref block.Drops[i]);
        }
    }
}
