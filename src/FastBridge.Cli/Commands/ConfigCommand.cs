using System.CommandLine;
using FastBridge.Control;
using FastBridge.Switching;

namespace FastBridge.Cli.Commands;

/// <summary><c>fastbridge config aging|max-macs</c>: settings of a running switch, effective at once.</summary>
internal static class ConfigCommand
{
    public static Command Create()
    {
        var seconds = new Argument<long>("SECONDS") { Description = "seconds an idle MAC entry lives; 0 = never age" };
        seconds.Validators.Add(r => { if (r.GetValueOrDefault<long>() is < 0 or > int.MaxValue) { r.AddError("SECONDS must be 0 or more"); } });
        var aging = new Command("aging", "Set the MAC aging time, live") { seconds };
        aging.WithControlOptions().SetAction((result, cancel) =>
            ControlCall.RunAsync(result, new ControlRequest { Verb = "config-aging", Value = result.GetValue(seconds) }, Write, cancel: cancel));

        var capacity = new Argument<long>("N") { Description = "MAC table capacity" };
        capacity.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<long>() is < 1 or > MacTable.MaxCapacity)
            {
                r.AddError($"N must be between 1 and {MacTable.MaxCapacity}");
            }
        });
        var maxMacs = new Command("max-macs", "Resize the MAC table, live (shrinking keeps static, then the freshest entries)") { capacity };
        maxMacs.WithControlOptions().SetAction((result, cancel) =>
            ControlCall.RunAsync(result, new ControlRequest { Verb = "config-max-macs", Value = result.GetValue(capacity) }, Write, cancel: cancel));

        return new Command("config", "Change settings of a running switch") { aging, maxMacs };
    }

    private static void Write(ControlResponse response)
    {
        TableInfo table = response.Table!;
        Console.Out.WriteLine($"aging {table.AgingSeconds} s, max-macs {table.Capacity} ({table.Size} entries now)");
    }
}
