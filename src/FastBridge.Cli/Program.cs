using System.CommandLine;
using FastBridge.Cli;
using FastBridge.Cli.Commands;

Command root = Cli.Create();
ParseResult parsed = root.Parse(args);
if (parsed.Errors.Count > 0 || parsed.CommandResult.Command == root && args.Length == 0)
{
    Cli.WriteUsageError(parsed, Console.Error);
    return ExitCodes.Usage;
}

return await parsed.InvokeAsync();
