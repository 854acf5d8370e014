using System.CommandLine;
using FastBridge.Control;

namespace FastBridge.Cli.Commands;

/// <summary><c>fastbridge status</c>: the protocol's <c>status</c> verb: name, workers, ports and MAC table settings.</summary>
internal static class StatusCommand
{
    public static Command Create()
    {
        var command = new Command("status", "Show a running switch's name, workers, ports and MAC table settings");
        command.WithControlOptions().SetAction((result, cancel) =>
            ControlCall.RunAsync(result, new ControlRequest { Verb = "status" }, Write, cancel: cancel));
        return command;
    }

    private static void Write(ControlResponse response)
    {
        int workers = response.Workers ?? 0;
        List<PortInfo> ports = response.Ports ?? [];
        Console.Out.WriteLine($"switch {response.Name}: {Plural(workers, "worker")}, {Plural(ports.Count, "port")}");
        foreach (PortInfo port in ports)
        {
            Console.Out.WriteLine($"  port {port.Name} ({port.Kind}) {port.State}{(port.Reason is { } reason ? $" ({reason})" : "")}");
        }

        if (response.Table is { } table)
        {
            Console.Out.WriteLine($"MAC table: {Plural(table.Size, "entry", "entries")} of {table.Capacity}, aging {table.AgingSeconds} s");
        }
    }

    /// <summary>"1 worker", "2 workers".</summary>
    public static string Plural(long count, string one, string? many = null) => count == 1 ? $"1 {one}" : $"{count} {many ?? one + "s"}";
}
