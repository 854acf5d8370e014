using FastBridge.Diagnostics;
using FastBridge.Switching;

namespace FastBridge.Cli.Output;

/// <summary>Human-readable MAC table and counters of a bridge (used by the demo and, later, by the CLI verbs).</summary>
internal static class BridgeReport
{
    public static void WriteMacTable(TextWriter output, Bridge bridge)
    {
        var entries = new List<MacEntry>();
        bridge.MacTable.CopyTo(entries);
        entries.Sort((a, b) => a.Port != b.Port ? a.Port.CompareTo(b.Port) : a.Mac.Value.CompareTo(b.Mac.Value));
        var names = new Dictionary<int, string>();
        foreach (var port in bridge.Ports)
        {
            names[port.Id] = port.Name;
        }

        var table = new TableWriter("port", "vlan", "mac", "type", "age");
        foreach (MacEntry entry in entries)
        {
            table.Row(names.GetValueOrDefault(entry.Port, entry.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                entry.Vlan, entry.Mac.ToString(), entry.IsStatic ? "static" : "dynamic", entry.IsStatic ? "-" : $"{entry.AgeSeconds}s");
        }

        table.WriteTo(output);
    }

    public static void WriteCounters(TextWriter output, BridgeCounters counters)
    {
        var table = new TableWriter("port", "state", "rx-frames", "rx-bytes", "tx-frames", "tx-bytes", "flooded", "drops");
        foreach (PortCounters port in counters.Ports)
        {
            string drops = port.Drops.Count == 0 ? "0" : string.Join(",", port.Drops.Select(d => $"{d.Key}={d.Value}"));
            table.Row(port.Name, port.State.ToString().ToLowerInvariant(), port.RxFrames, port.RxBytes, port.TxFrames, port.TxBytes, port.Flooded, drops);
        }

        table.WriteTo(output);
        output.WriteLine($"mac table: {counters.MacCount}/{counters.MacCapacity} entries; learned {counters.Learned}, moved {counters.Moved}, aged {counters.Aged}, table-full {counters.TableFull}; flooded {counters.Flooded}");
    }
}
