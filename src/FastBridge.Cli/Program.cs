using System.CommandLine;
using FastBridge.Cli;
using FastBridge.Cli.Commands;

var root = new RootCommand("FastBridge: a userspace learning Ethernet switch for Linux TAP devices")
{
    RunCommand.Create(),
    DemoCommand.Create(),
};

ParseResult parsed = root.Parse(args);
if (parsed.Errors.Count > 0 || parsed.CommandResult.Command == root && args.Length == 0)
{
    foreach (var error in parsed.Errors)
    {
        Console.Error.WriteLine($"fastbridge: {error.Message}");
    }

    Console.Error.WriteLine("usage: fastbridge run --tap NAME [--tap NAME ...] [--aging SECONDS] [--max-macs N] [--workers N]");
    Console.Error.WriteLine("       fastbridge demo");
    Console.Error.WriteLine("       fastbridge --help");
    return ExitCodes.Usage;
}

return parsed.Invoke();
