using System.Diagnostics.Metrics;

namespace FastBridge.Diagnostics;

/// <summary>
/// The bridge's counters as a <see cref="System.Diagnostics.Metrics"/> meter named <c>FastBridge</c>, so that
/// <c>dotnet-counters monitor -n fastbridge --counters FastBridge</c>, OpenTelemetry or a Prometheus exporter see live
/// rates, tagged by bridge and port (and by reason for drops).
/// </summary>
/// <remarks>
/// Every instrument is observable: nothing is recorded per frame. A collector's callback sums the workers' counter
/// blocks (<see cref="Bridge.ReadCounters"/>) once per collection — one snapshot is shared by all instruments read in
/// the same 100 ms — so reading metrics costs the dataplane nothing.
/// </remarks>
public sealed class BridgeMetrics : IDisposable
{
    public const string MeterName = "FastBridge";

    private static readonly TimeSpan s_snapshotReuse = TimeSpan.FromMilliseconds(100);

    private readonly Bridge _bridge;
    private readonly Meter _meter;
    private readonly object _gate = new();
    private BridgeCounters? _snapshot;
    private long _snapshotTicks;

    public BridgeMetrics(Bridge bridge)
    {
        _bridge = bridge;
        _meter = new Meter(MeterName, typeof(BridgeMetrics).Assembly.GetName().Version?.ToString());
        PortCounter("port.rx.frames", "{frame}", "Frames received on the port", p => p.RxFrames);
        PortCounter("port.rx.bytes", "By", "Bytes received on the port", p => p.RxBytes);
        PortCounter("port.tx.frames", "{frame}", "Frames transmitted by the port", p => p.TxFrames);
        PortCounter("port.tx.bytes", "By", "Bytes transmitted by the port", p => p.TxBytes);
        PortCounter("port.flooded", "{frame}", "Frames received on the port and flooded", p => p.Flooded);
        _meter.CreateObservableCounter("port.drops", ObserveDrops, "{frame}", "Frames (or flood copies) dropped, by port and reason");
        SwitchCounter("mac.learned", "New stations learned", c => c.Learned);
        SwitchCounter("mac.moved", "Stations seen on a new port", c => c.Moved);
        SwitchCounter("mac.aged", "MAC entries removed by aging", c => c.Aged);
        SwitchCounter("mac.table_full", "New stations not learned because the table was full", c => c.TableFull);
        SwitchCounter("mac.evicted", "Entries evicted from the port holding the most (fair eviction)", c => c.Evicted);
        SwitchCounter("mac.port_limit", "New stations not learned because their port held its limit", c => c.PortLimit);
        SwitchCounter("mac.flaps", "Moves of stations flapping between ports", c => c.Flaps);
        SwitchCounter("flooded", "Frames flooded, all ports", c => c.Flooded);
        _meter.CreateObservableGauge("mac.entries", () => Measure(Snapshot().MacCount), "{entry}", "MAC table entries");
        _meter.CreateObservableGauge("mac.capacity", () => Measure(Snapshot().MacCapacity), "{entry}", "MAC table capacity");
    }

    public Meter Meter => _meter;

    private void PortCounter(string name, string unit, string description, Func<PortCounters, long> read) =>
        _meter.CreateObservableCounter(name, () => ObservePorts(read), unit, description);

    private void SwitchCounter(string name, string description, Func<BridgeCounters, long> read) =>
        _meter.CreateObservableCounter(name, () => Measure(read(Snapshot())), "{event}", description);

    private Measurement<long> Measure(long value) => new(value, new KeyValuePair<string, object?>("bridge", _bridge.Name));

    private List<Measurement<long>> ObservePorts(Func<PortCounters, long> read)
    {
        BridgeCounters counters = Snapshot();
        var measurements = new List<Measurement<long>>(counters.Ports.Count);
        foreach (PortCounters port in counters.Ports)
        {
            measurements.Add(new Measurement<long>(read(port),
                new KeyValuePair<string, object?>("bridge", _bridge.Name),
                new KeyValuePair<string, object?>("port", port.Name)));
        }

        return measurements;
    }

    private List<Measurement<long>> ObserveDrops()
    {
        BridgeCounters counters = Snapshot();
        var measurements = new List<Measurement<long>>();
        foreach (PortCounters port in counters.Ports)
        {
            for (int r = 1; r < DropReasons.Count; r++)
            {
                measurements.Add(new Measurement<long>(port.Dropped((DropReason)r),
                    new KeyValuePair<string, object?>("bridge", _bridge.Name),
                    new KeyValuePair<string, object?>("port", port.Name),
                    new KeyValuePair<string, object?>("reason", DropReasons.Name((DropReason)r))));
            }
        }

        return measurements;
    }

    private BridgeCounters Snapshot()
    {
        lock (_gate)
        {
            long now = Environment.TickCount64;
            if (_snapshot is null || now - _snapshotTicks > (long)s_snapshotReuse.TotalMilliseconds)
            {
                _snapshot = _bridge.ReadCounters();
                _snapshotTicks = now;
            }

            return _snapshot;
        }
    }

    public void Dispose() => _meter.Dispose();
}
