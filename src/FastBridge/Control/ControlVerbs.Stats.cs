using System.Text.Json;
using FastBridge.Diagnostics;
using FastBridge.Ports;

namespace FastBridge.Control;

/// <summary>The <c>stats</c> verb: every counter of the schema, per port and for the bridge.</summary>
internal static partial class ControlVerbs
{
    /// <summary>Every counter of the schema: port counters and drop reasons on each port, bridge-level ones on the table.</summary>
    private static ControlResponse Stats(Bridge bridge)
    {
        BridgeCounters counters = bridge.ReadCounters();
        var ports = new List<PortInfo>(counters.Ports.Count);
        foreach (PortCounters c in counters.Ports)
        {
            var drops = new SortedDictionary<string, long>(StringComparer.Ordinal);
            foreach (CounterDefinition reason in CounterSchema.Drops)
            {
                drops[reason.JsonName] = c[reason];
            }

            var info = new PortInfo
            {
                Name = c.Name,
                Id = c.Id,
                Kind = c.Kind,
                State = c.State.Name(),
                Reason = c.State == PortState.Up ? null : c.StateReason,
                Counters = CounterMembers(c, CounterScope.Port),
                Drops = drops,
            };
            bridge.FindPort(c.Name)?.Describe(info);
            ports.Add(info);
        }

        TableInfo table = Table(bridge.MacTable);
        table.Counters = CounterMembers(counters, CounterScope.Bridge);
        return new ControlResponse { Ok = true, Ports = ports, Table = table };
    }

    /// <summary>The counters shown at <paramref name="level"/> as JSON members, by their JSON names.</summary>
    private static Dictionary<string, JsonElement> CounterMembers(CounterValues values, CounterScope level)
    {
        var members = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (CounterDefinition counter in CounterSchema.Counters)
        {
            if (level == CounterScope.Port ? counter.Scope == CounterScope.Port : counter.AtBridgeLevel)
            {
                members[counter.JsonName] = JsonSerializer.SerializeToElement(values[counter], ControlJson.Default.Int64);
            }
        }

        return members;
    }
}
