using System.CommandLine;
using FastBridge.Cli;
using FastBridge.Cli.Commands;

var root = new RootCommand("FastBridge: a userspace learning Ethernet switch for Linux TAP devices")
{
    RunCommand.Create(),
    DemoCommand.Create(),
    PortCommand.Create(),
    FdbCommand.Create(),
    StatsCommand.Create(),
    ConfigCommand.Create(),
};

ParseResult parsed = root.Parse(args);
if (parsed.Errors.Count > 0 || parsed.CommandResult.Command == root && args.Length == 0)
{
    foreach (var error in parsed.Errors)
    {
        Console.Error.WriteLine($"fastbridge: {error.Message}");
    }

    Console.Error.WriteLine("usage: fastbridge run --tap NAME [--tap NAME ...] [--aging SECONDS] [--max-macs N] [--workers N] [--name NAME] [--control PATH] [-v]");
    Console.Error.WriteLine("       fastbridge run --config FILE [flags that override it]");
    Console.Error.WriteLine("       fastbridge demo");
    Console.Error.WriteLine("       fastbridge port add NAME [--fd N] | port del NAME | port list");
    Console.Error.WriteLine("       fastbridge port vlan NAME --access VID | --trunk VIDS [--native VID] | --none");
    Console.Error.WriteLine("       fastbridge port set NAME [--learning|--flood-unknown|--flood-multicast|--flood-broadcast|--isolated|--hairpin on|off]...");
    Console.Error.WriteLine("       fastbridge fdb show [--port P] [--vlan V] | fdb add MAC PORT [--vlan V] | fdb del MAC [--vlan V] | fdb flush [--port P]");
    Console.Error.WriteLine("       fastbridge stats [--watch] [--count N]");
    Console.Error.WriteLine("       fastbridge config aging SECONDS | config max-macs N");
    Console.Error.WriteLine("       (management verbs take --name NAME or --control PATH to pick the switch, and --json)");
    Console.Error.WriteLine("       fastbridge --help");
    return ExitCodes.Usage;
}

return await parsed.InvokeAsync();
