using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Cli;

/// <summary>
/// A test never drives, or collides with, the user's own switch: every command for a switch that names none gets a
/// unique <c>--name</c> (so its socket is /run/fastbridge/fbtestXXXXXXXX.sock, never the default fb0's).
/// </summary>
public sealed class OwnSwitchTests
{
    [Theory]
    [InlineData("run --tap a", "run --name ")]
    [InlineData("run", "run --name ")]
    [InlineData("stats --json", "stats --json --name ")]
    [InlineData("port list", "port list --name ")]
    [InlineData("fdb show", "fdb show --name ")]
    [InlineData("config aging 5", "config aging 5 --name ")]
    public void Switch_verbs_that_name_no_switch_get_a_unique_name(string arguments, string expectedStart)
    {
        string given = CliProcess.WithOwnSwitch(arguments);
        Assert.StartsWith(expectedStart + "fbtest", given, StringComparison.Ordinal);
        Assert.NotEqual("fb0", given[expectedStart.Length..].Split(' ')[0]); // never the default switch's name (a random suffix may hold "fb0")
        Assert.NotEqual(given, CliProcess.WithOwnSwitch(arguments)); // a fresh suffix each time
    }

    [Theory]
    [InlineData("run --tap a --name mine")]
    [InlineData("run --tap a --control /tmp/x.sock")]
    [InlineData("run --config /tmp/c.json")]
    [InlineData("run --help")]
    [InlineData("stats --control /tmp/x.sock")]
    [InlineData("demo")]
    [InlineData("")]
    public void Commands_that_choose_their_switch_or_need_none_are_left_alone(string arguments) =>
        Assert.Equal(arguments, CliProcess.WithOwnSwitch(arguments));

    [Fact]
    public void A_trailing_option_stays_trailing() =>
        Assert.EndsWith(" --tap", CliProcess.WithOwnSwitch("run --tap"), StringComparison.Ordinal);
}
