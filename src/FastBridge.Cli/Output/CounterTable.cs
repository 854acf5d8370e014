using System.Globalization;
using FastBridge.Diagnostics;

namespace FastBridge.Cli.Output;

/// <summary>
/// The one renderer of a bridge's counters, used by <c>stats</c>, <c>stats --watch</c> and the demo. Everything it
/// prints comes from <see cref="CounterSchema"/>: the main table has a column per counter marked
/// <see cref="CounterAttribute.Column"/> (with a rate beside those marked <see cref="CounterAttribute.Rate"/> when a
/// previous sample is given) and a <c>drops</c> column naming every non-zero drop reason; the details table has the
/// other port counters; the <c>mac table:</c> line has the bridge-level counters.
/// </summary>
internal static class CounterTable
{
    public static void Write(TextWriter output, CounterReport now, CounterReport? before = null, double seconds = 0)
    {
        bool rates = before is not null && seconds > 0;
        var headers = new List<string> { "port", "state" };
        var details = new List<string> { "port" };
        foreach (CounterDefinition counter in CounterSchema.Counters)
        {
            if (counter.Scope != CounterScope.Port)
            {
                continue;
            }

            if (!counter.Column)
            {
                details.Add(counter.Name);
                continue;
            }

            headers.Add(counter.Name);
            if (rates && counter.Rate)
            {
                headers.Add(counter.RateHeader);
            }
        }

        headers.Add("drops");
        var main = new TableWriter([.. headers]);
        var more = new TableWriter([.. details]);
        foreach (PortCounterRow port in now.Ports)
        {
            PortCounterRow? previous = rates ? Find(before!, port) : null;
            var cells = new List<object?> { port.Name, port.State };
            var detailCells = new List<object?> { port.Name };
            foreach (CounterDefinition counter in CounterSchema.Counters)
            {
                if (counter.Scope != CounterScope.Port)
                {
                    continue;
                }

                long? value = port.Read(counter);
                (counter.Column ? cells : detailCells).Add(value);
                if (counter.Column && rates && counter.Rate)
                {
                    cells.Add(Rate(value, previous?.Read(counter), seconds));
                }
            }

            cells.Add(Drops(port));
            main.Row([.. cells]);
            more.Row([.. detailCells]);
        }

        main.WriteTo(output);
        output.WriteLine();
        more.WriteTo(output);
        output.WriteLine(BridgeLine(now));
    }

    /// <summary><c>mac table: 3/8192 entries, aging 300 s; learned 2, moved 0, ...</c>: every bridge-level counter.</summary>
    public static string BridgeLine(CounterReport report)
    {
        var line = new System.Text.StringBuilder();
        line.Append(CultureInfo.InvariantCulture, $"mac table: {report.MacCount}/{report.MacCapacity} entries");
        if (report.AgingSeconds is { } aging)
        {
            line.Append(CultureInfo.InvariantCulture, $", aging {aging} s");
        }

        char separator = ';';
        foreach (CounterDefinition counter in CounterSchema.Counters)
        {
            if (counter.AtBridgeLevel)
            {
                line.Append(CultureInfo.InvariantCulture, $"{separator} {counter.Name} {report.ReadBridge(counter)?.ToString(CultureInfo.InvariantCulture) ?? "-"}");
                separator = ',';
            }
        }

        return line.ToString();
    }

    private static PortCounterRow? Find(CounterReport report, PortCounterRow port)
    {
        foreach (PortCounterRow candidate in report.Ports)
        {
            if (candidate.Name == port.Name && candidate.Id == port.Id)
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary><c>0</c>, or every non-zero drop reason as <c>name=count</c>, comma-separated.</summary>
    private static string Drops(PortCounterRow port)
    {
        var parts = new List<string>();
        foreach (CounterDefinition reason in CounterSchema.Drops)
        {
            if (port.Read(reason) is { } n and not 0)
            {
                parts.Add(string.Create(CultureInfo.InvariantCulture, $"{reason.Name}={n}"));
            }
        }

        return parts.Count == 0 ? "0" : string.Join(",", parts);
    }

    private static string Rate(long? now, long? before, double seconds) =>
        now is null || before is null || now < before ? "-" : ((long)Math.Round((now.Value - before.Value) / seconds)).ToString(CultureInfo.InvariantCulture);
}
