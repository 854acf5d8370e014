namespace FastBridge.Diagnostics;

/// <summary>A snapshot of the whole bridge's counters: per port, and for the MAC table.</summary>
public sealed class BridgeCounters
{
    internal BridgeCounters(IReadOnlyList<PortCounters> ports) => Ports = ports;

    public IReadOnlyList<PortCounters> Ports { get; }

    /// <summary>New stations learned.</summary>
    public long Learned { get; internal set; }

    /// <summary>Stations seen on a new port.</summary>
    public long Moved { get; internal set; }

    /// <summary>Entries removed by aging.</summary>
    public long Aged { get; internal set; }

    /// <summary>New stations not learned because the table was full (their frames flood).</summary>
    public long TableFull { get; internal set; }

    /// <summary>Entries evicted from the port holding the most, to learn a station of another port (fair eviction).</summary>
    public long Evicted { get; internal set; }

    /// <summary>New stations not learned because their port held its <c>MaxMacsPerPort</c>.</summary>
    public long PortLimit { get; internal set; }

    /// <summary>Moves of stations that were flapping (moving between ports faster than the flap threshold).</summary>
    public long Flaps { get; internal set; }

    /// <summary>Frames flooded, all ports together.</summary>
    public long Flooded { get; internal set; }

    public int MacCount { get; internal set; }

    public int MacCapacity { get; internal set; }

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
