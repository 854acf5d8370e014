using System.CommandLine;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Cli;

/// <summary>
/// A bad value for any whole-number option or argument of any verb: exit 2, one line naming the option and what is
/// allowed, then the usage line of that verb; never a stack trace or a .NET type name. The cases are read from the
/// command tree itself, so a new option is covered the day it is added.
/// </summary>
public sealed class UsageErrorTests
{
    private static TimeSpan Timeout => TimeSpan.FromSeconds(30);

    /// <summary>Every (command line, option) pair: each whole-number symbol given "abc", a huge number and a negative one.</summary>
    public static TheoryData<string, string> BadNumbers()
    {
        var cases = new TheoryData<string, string>();
        Visit(FastBridge.Cli.Cli.Create(), []);
        return cases;

        void Visit(Command command, List<string> path)
        {
            List<string> here = [.. path, command.Name];
            foreach (Command sub in command.Subcommands)
            {
                Visit(sub, here);
            }

            string verb = string.Join(' ', here.Skip(1));
            // A required option that is not a number gets a placeholder too, so its absence is not a second error.
            string arguments = string.Join(' ', command.Arguments.Select(Placeholder)
                .Concat(command.Options.Where(o => o.Required && o.ValueType != typeof(int) && o.ValueType != typeof(int?)).Select(o => $"{o.Name} p0")));
            foreach (string bad in new[] { "abc", "99999999999", "-7", "1.5" })
            {
                foreach (Option option in command.Options.Where(o => o.ValueType == typeof(int) || o.ValueType == typeof(int?)))
                {
                    cases.Add($"{verb} {arguments} {option.Name} {bad}", option.Name);
                }

                for (int i = 0; i < command.Arguments.Count; i++)
                {
                    if (command.Arguments[i].ValueType == typeof(int))
                    {
                        var given = command.Arguments.Select(Placeholder).ToArray();
                        given[i] = bad;
                        cases.Add($"{verb} {string.Join(' ', given)}", command.Arguments[i].Name);
                    }
                }
            }
        }

        static string Placeholder(Argument argument) => argument.Name switch
        {
            "MAC" => "02:00:00:00:00:01",
            _ when argument.ValueType == typeof(int) => "1",
            _ => "p0",
        };
    }

    [Theory]
    [MemberData(nameof(BadNumbers))]
    public void A_bad_number_is_a_usage_error_naming_the_option(string arguments, string option)
    {
        using var cli = CliProcess.Run(arguments, Timeout);
        Assert.Equal(2, cli.ExitCode);
        string[] lines = cli.Stderr.TrimEnd().Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.StartsWith($"fastbridge: {option}: ", lines[0]);
        Assert.StartsWith($"usage: fastbridge {arguments.Split(' ')[0]}", lines[1]);
        AssertInUsersWords(cli.Stderr);
    }

    [Fact]
    public void The_cases_cover_every_verb_with_a_number()
    {
        var covered = BadNumbers().Select(row => ((string)row[0]).Split(' ')[0]).ToHashSet();
        Assert.Superset(new HashSet<string> { "run", "wait", "demo", "port", "fdb", "stats", "config" }, covered);
    }

    [Theory]
    [InlineData("fdb add zz:zz p0", "fdb add")]
    [InlineData("port add", "port add")]
    [InlineData("config aging", "config aging")]
    [InlineData("stats --bogus", "stats")]
    public void A_management_verb_error_prints_that_verbs_usage_only(string arguments, string verb)
    {
        using var cli = CliProcess.Run(arguments, Timeout);
        Assert.Equal(2, cli.ExitCode);
        string usage = cli.Stderr.Split('\n').Single(line => line.StartsWith("usage:", StringComparison.Ordinal));
        Assert.StartsWith($"usage: fastbridge {verb}", usage);
        Assert.DoesNotContain("run", usage);
        AssertInUsersWords(cli.Stderr);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("run --help")]
    [InlineData("port add --help")]
    public void Help_comes_from_the_command_tree_under_the_commands_name(string arguments)
    {
        using var cli = CliProcess.Run(arguments, Timeout);
        Assert.Equal(0, cli.ExitCode);
        Assert.Contains("fastbridge", cli.Stdout);
        Assert.DoesNotContain("FastBridge.Cli", cli.Stdout);
    }

    [Fact]
    public void Run_help_lists_every_option_the_readme_documents()
    {
        using var cli = CliProcess.Run("run --help", Timeout);
        foreach (string option in new[] { "--tap", "--aging", "--max-macs", "--max-macs-per-port", "--workers", "--storm-limit", "--metrics", "--no-offloads", "--config", "--name", "--control" })
        {
            Assert.Contains(option, cli.Stdout);
        }
    }

    /// <summary>No .NET internals: type names, escaped quotes, parameter suffixes, stack frames.</summary>
    internal static void AssertInUsersWords(string text)
    {
        foreach (string leak in new[] { "System.", "Exception", "\\u0027", "(Parameter '", "   at ", "FastBridge.Cli", "Nullable" })
        {
            Assert.DoesNotContain(leak, text);
        }
    }
}
