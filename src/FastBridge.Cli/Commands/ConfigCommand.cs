using System.CommandLine;
using FastBridge.Control;
using FastBridge.Switching;

namespace FastBridge.Cli.Commands;

/// <summary><c>fastbridge config aging|max-macs</c>: settings of a running switch, effective at once.</summary>
internal static class ConfigCommand
{
    public static Command Create()
    {
        var seconds = Numbers.Argument("SECONDS", 0, int.MaxValue, "0 or more seconds (0 = never age)", "seconds an idle MAC entry lives; 0 = never age");
        var aging = new Command("aging", "Set the MAC aging time, live") { seconds };
        aging.WithControlOptions().SetAction((result, cancel) =>
            ControlCall.RunAsync(result, new ControlRequest { Verb = "config-aging", Value = result.GetValue(seconds) }, Write, cancel: cancel));

        var capacity = Numbers.Argument("N", 1, MacTable.MaxCapacity, $"1 to {MacTable.MaxCapacity} entries", "MAC table capacity");
        var maxMacs = new Command("max-macs", "Resize the MAC table, live (shrinking keeps static, then the freshest entries)") { capacity };
        maxMacs.WithControlOptions().SetAction((result, cancel) =>
            ControlCall.RunAsync(result, new ControlRequest { Verb = "config-max-macs", Value = result.GetValue(capacity) }, Write, cancel: cancel));

        return new Command("config", "Change settings of a running switch") { aging, maxMacs };
    }

    private static void Write(ControlResponse response)
    {
        TableInfo table = response.Table!;
        Console.Out.WriteLine($"aging {table.AgingSeconds} s, max-macs {table.Capacity} ({StatusCommand.Plural(table.Size, "entry", "entries")} now)");
    }
}
