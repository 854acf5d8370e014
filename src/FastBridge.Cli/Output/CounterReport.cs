using System.Text.Json;
using FastBridge.Control;
using FastBridge.Diagnostics;
using FastBridge.Ports;

namespace FastBridge.Cli.Output;

/// <summary>One port's counters as <see cref="CounterTable"/> reads them, whether from a snapshot or from JSON.</summary>
internal sealed record PortCounterRow(string Name, int Id, string State, Func<CounterDefinition, long?> Read);

/// <summary>
/// A bridge's counters as <see cref="CounterTable"/> reads them: made from an in-process snapshot (the demo) or from a
/// <c>stats</c> response (the CLI), so both print through the same renderer. Values are looked up by schema entry.
/// </summary>
internal sealed record CounterReport(IReadOnlyList<PortCounterRow> Ports, int MacCount, int MacCapacity, int? AgingSeconds,
    Func<CounterDefinition, long?> ReadBridge)
{
    public static CounterReport From(BridgeCounters counters)
    {
        var ports = new List<PortCounterRow>(counters.Ports.Count);
        foreach (PortCounters port in counters.Ports)
        {
            ports.Add(new PortCounterRow(port.Name, port.Id, port.State.Name(), d => port[d]));
        }

        return new CounterReport(ports, counters.MacCount, counters.MacCapacity, counters.AgingSeconds, d => counters[d]);
    }

    public static CounterReport From(ControlResponse response)
    {
        var ports = new List<PortCounterRow>();
        foreach (PortInfo port in response.Ports ?? [])
        {
            ports.Add(new PortCounterRow(port.Name, port.Id, port.State, d => Read(d, port.Counters, port.Drops)));
        }

        TableInfo? table = response.Table;
        return new CounterReport(ports, table?.Size ?? 0, table?.Capacity ?? 0, table?.AgingSeconds, d => Read(d, table?.Counters, null));
    }

    private static long? Read(CounterDefinition d, Dictionary<string, JsonElement>? counters, SortedDictionary<string, long>? drops)
    {
        if (d.Reason is not null)
        {
            return drops is not null && drops.TryGetValue(d.JsonName, out long dropped) ? dropped : null;
        }

        return counters is not null && counters.TryGetValue(d.JsonName, out JsonElement value) && value.TryGetInt64(out long n) ? n : null;
    }
}
