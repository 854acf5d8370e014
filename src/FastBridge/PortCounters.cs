using FastBridge.Diagnostics;
using FastBridge.Ports;

namespace FastBridge;

/// <summary>
/// A snapshot of one port's counters, summed over all workers (every <see cref="Counter"/> and drop reason: use the
/// indexer; the properties are shorthands).
/// Ingress: <c>RxFrames == Forwarded + IngressDrops</c> once the port is idle.
/// Egress: <c>TxOffered == TxFrames + EgressDrops</c> once the port is idle, where TxOffered counts every copy of a
/// frame handed to this port (one per flood target). A GSO super-frame counts as one frame everywhere, also when it is
/// segmented for a port without offloads: transmitted when all its segments were, else dropped under the first
/// segment's reason. RxBytes counts frames as received (a super-frame's own length); TxBytes counts bytes handed to
/// the device (for a segmented super-frame, the sum of its segments that went out).
/// </summary>
public sealed class PortCounters : CounterValues
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

    public long RxFrames => this[Counter.RxFrames];

    public long RxBytes => this[Counter.RxBytes];

    /// <summary>Received frames that went on towards one port or a flood.</summary>
    public long Forwarded => this[Counter.Forwarded];

    /// <summary>Received frames that were flooded (broadcast, multicast, unknown unicast).</summary>
    public long Flooded => this[Counter.Flooded];

    /// <summary>Copies handed to this port for transmission.</summary>
    public long TxOffered => this[Counter.TxOffered];

    public long TxFrames => this[Counter.TxFrames];

    public long TxBytes => this[Counter.TxBytes];
}
