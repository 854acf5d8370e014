using System.CommandLine;
using System.CommandLine.Help;
using FastBridge.Cli.Commands;

namespace FastBridge.Cli;

/// <summary>
/// The command tree, named <c>fastbridge</c> (not after the assembly), and its one way of reporting a bad command line:
/// each error on one line prefixed <c>fastbridge:</c>, then the usage line of the verb that was being parsed (built by
/// System.CommandLine's help from the same tree that <c>--help</c> prints, so it cannot drift from the options).
/// </summary>
internal static class Cli
{
    public const string Name = "fastbridge";

    public static Command Create()
    {
        var root = new Command(Name, "FastBridge: a userspace learning Ethernet switch for Linux TAP devices")
        {
            RunCommand.Create(),
            WaitCommand.Create(),
            DemoCommand.Create(),
            PortCommand.Create(),
            FdbCommand.Create(),
            StatsCommand.Create(),
            StatusCommand.Create(),
            ConfigCommand.Create(),
            CaptureCommand.Create(),
        };
        root.Options.Add(new HelpOption());
        root.Options.Add(new VersionOption());
        return root;
    }

    /// <summary>Writes the parse errors and the usage line of the command they belong to.</summary>
    public static void WriteUsageError(ParseResult parsed, TextWriter error)
    {
        foreach (var parseError in parsed.Errors)
        {
            error.WriteLine($"{Name}: {parseError.Message}");
        }

        List<string> path = CommandPath(parsed);
        error.WriteLine($"usage: {Usage(parsed.RootCommandResult.Command, path)} (see '{string.Join(' ', path)} --help')");
    }

    /// <summary>
    /// The usage line that System.CommandLine's own help prints for the command at <paramref name="path"/> (its help
    /// builder is not public, so the help is run into a string and its usage line taken).
    /// </summary>
    public static string Usage(Command root, List<string> path)
    {
        using var help = new StringWriter();
        root.Parse([.. path.Skip(1), "--help"]).Invoke(new InvocationConfiguration { Output = help, Error = help });
        string[] lines = help.ToString().Split('\n', StringSplitOptions.TrimEntries);
        int usage = Array.FindIndex(lines, line => line.StartsWith("Usage:", StringComparison.Ordinal));
        return usage >= 0 && usage + 1 < lines.Length ? lines[usage + 1] : string.Join(' ', path);
    }

    private static List<string> CommandPath(ParseResult parsed)
    {
        var names = new List<string>();
        for (var result = parsed.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Insert(0, result.Command.Name);
        }

        return names;
    }
}
