using FastBridge.Switching;

namespace FastBridge.Cli.Output;

/// <summary>Human-readable MAC table of an in-process bridge (the demo; counters are <see cref="CounterTable"/>'s).</summary>
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
}
