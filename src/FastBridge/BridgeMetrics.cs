using System.Diagnostics.Metrics;
using FastBridge.Diagnostics;

namespace FastBridge;

/// <summary>
/// The bridge's counters as a <see cref="System.Diagnostics.Metrics"/> meter named <c>FastBridge</c>, so that
/// <c>dotnet-counters monitor -n fastbridge --counters FastBridge</c>, OpenTelemetry or a Prometheus exporter see live
/// rates, tagged by bridge and port (and by reason for drops).
/// </summary>
/// <remarks>
/// The instruments are made from <see cref="CounterSchema"/>: one per port counter (<c>port.rx.frames</c>, tagged by
/// port), one per bridge counter (<c>mac.learned</c>; a port counter with a bridge total also gets one under its own
/// name, <c>flooded</c>), and <c>port.drops</c> tagged by port and reason for every drop reason.
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
        foreach (CounterDefinition counter in CounterSchema.Counters)
        {
            if (counter.Scope == CounterScope.Port)
            {
                _meter.CreateObservableCounter(counter.MeterName, () => ObservePorts(counter), counter.UnitSymbol, counter.Description);
            }

            if (counter.BridgeMeterName is { } name)
            {
                _meter.CreateObservableCounter(name, () => Measure(Snapshot()[counter]), counter.UnitSymbol,
                    counter.Scope == CounterScope.Bridge ? counter.Description : $"{counter.Description}, all ports");
            }
        }

        _meter.CreateObservableCounter("port.drops", ObserveDrops, "{frame}", "Frames (or flood copies) dropped, by port and reason");
        _meter.CreateObservableGauge("mac.entries", () => Measure(Snapshot().MacCount), "{entry}", "MAC table entries");
        _meter.CreateObservableGauge("mac.capacity", () => Measure(Snapshot().MacCapacity), "{entry}", "MAC table capacity");
    }

    public Meter Meter => _meter;

    private Measurement<long> Measure(long value) => new(value, new KeyValuePair<string, object?>("bridge", _bridge.Name));

    private List<Measurement<long>> ObservePorts(CounterDefinition counter)
    {
        BridgeCounters counters = Snapshot();
        var measurements = new List<Measurement<long>>(counters.Ports.Count);
        foreach (PortCounters port in counters.Ports)
        {
            measurements.Add(new Measurement<long>(port[counter],
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
            foreach (CounterDefinition reason in CounterSchema.Drops)
            {
                measurements.Add(new Measurement<long>(port[reason],
                    new KeyValuePair<string, object?>("bridge", _bridge.Name),
                    new KeyValuePair<string, object?>("port", port.Name),
                    new KeyValuePair<string, object?>("reason", reason.Name)));
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
