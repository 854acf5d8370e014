using FastBridge.Diagnostics;

namespace FastBridge;

/// <summary>
/// A snapshot of the whole bridge's counters: per port (<see cref="Ports"/>), and summed over all ports, removed ones
/// included (the indexer; bridge-level counters such as <see cref="Counter.Learned"/> are read here).
/// </summary>
public sealed class BridgeCounters : CounterValues
{
    internal BridgeCounters(IReadOnlyList<PortCounters> ports) => Ports = ports;

    public IReadOnlyList<PortCounters> Ports { get; }

    public long Learned => this[Counter.Learned];

    public long Moved => this[Counter.Moved];

    public long Aged => this[Counter.Aged];

    public long TableFull => this[Counter.TableFull];

    public long Evicted => this[Counter.Evicted];

    public long PortLimit => this[Counter.PortLimit];

    public long Flaps => this[Counter.Flaps];

    /// <summary>Frames flooded, all ports together.</summary>
    public long Flooded => this[Counter.Flooded];

    public int MacCount { get; internal set; }

    public int MacCapacity { get; internal set; }

    /// <summary>MAC table aging in seconds (0: never).</summary>
    public int AgingSeconds { get; internal set; }

    public PortCounters? this[string portName]
    {
        get
        {
            foreach (PortCounters port in Ports)
            {
                if (port.Name == portName)
                {
                    return port;
                }
            }

            return null;
        }
    }
}
