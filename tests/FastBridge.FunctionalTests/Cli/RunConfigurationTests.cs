using FastBridge.Cli.Configuration;

namespace FastBridge.Tests.Cli;

/// <summary>
/// The settings of <c>fastbridge run</c> read through Microsoft.Extensions.Configuration: the file with the flags on top,
/// bound and checked in one place, and what that changes on purpose (a quoted number is a number). The messages of a
/// bad file are the documented ones (<see cref="NewcomerTests.A_bad_config_file_is_explained_in_the_files_terms"/>).
/// </summary>
public sealed class RunConfigurationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fastbridge-runconfig-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string File(string json)
    {
        string path = Path.Combine(_dir, $"{Guid.NewGuid():N}.json");
        System.IO.File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void A_quoted_number_is_read_as_the_number_as_in_any_appsettings_file()
    {
        RunOptions options = RunConfiguration.Load(File("""{ "aging": "300", "max_macs": "1000", "offloads": "false" }"""));
        Assert.Equal(300, options.Aging);
        Assert.Equal(1000, options.ToBridgeOptions().MaxMacs);
        Assert.False(options.Offloads);
    }

    [Fact]
    public void A_quoted_number_out_of_range_is_refused_as_the_number_would_be()
    {
        FormatException bad = Assert.Throws<FormatException>(() => RunConfiguration.Load(File("""{ "workers": "65" }""")));
        Assert.EndsWith("\"workers\" must be 1 to 64 threads (0 = half the processors)", bad.Message);
    }

    [Fact]
    public void Members_left_out_take_the_switchs_defaults()
    {
        RunOptions options = RunConfiguration.Load(File("""{ "ports": [] }"""));
        var defaults = new BridgeOptions();
        BridgeOptions bridge = options.ToBridgeOptions();
        Assert.Equal((defaults.Name, defaults.AgingSeconds, defaults.MaxMacs, defaults.StormLimit), (bridge.Name, bridge.AgingSeconds, bridge.MaxMacs, bridge.StormLimit));
        Assert.Empty(options.PortNames());
        Assert.Null(options.Offloads);
    }

    [Fact]
    public void Flags_override_the_files_members_and_replace_its_lists_whole()
    {
        string path = File("""
            { "name": "file", "aging": 42, "max_macs": 1000,
              "ports": [{"name": "f0", "kind": "netdev", "isolated": true}, "f1", "f2"], "vxlan": ["vx0:vni=1,local=198.18.0.1"] }
            """);
        var flags = new CommandLineSource();
        flags.Set("aging", "7");
        flags.SetList("ports", ["t0"]);
        RunOptions options = RunConfiguration.Load(path, flags, new RunSources(path, TapsGiven: true, OtherPorts: []));
        Assert.Equal(7, options.Aging);
        Assert.Equal(1000, options.MaxMacs);
        Assert.Equal("file", options.Name);
        Assert.Equal(["t0"], options.PortNames()); // not t0 over f0 with f0's kind and policy, nor f1 and f2 after it
        Assert.Equal(["t0"], options.TapNames());
        Assert.Empty(options.PortPolicies());
        Assert.Equal(["vx0:vni=1,local=198.18.0.1"], options.Vxlan);
    }

    [Theory]
    [InlineData("""{"aging": 1, "Aging": 2}""", "is not valid: \"Aging\" is given twice (line 1, column 23)")]
    [InlineData("""[1]""", "must hold a JSON object")]
    [InlineData("""{"ports": ["a", "a"]}""", ": \"ports\" names 'a' twice")]
    [InlineData("""{"mirrors": [{"name": "m", "from": ["a"], "to": "b", "colour": 1}]}""", "is not valid: \"mirrors\": unknown member \"colour\" in a mirror; a mirror takes name, from, to, direction, vlan")]
    [InlineData("""{"ports": [{"name": "t", "vlan": {"acess": 1}}]}""", "is not valid: \"ports\": unknown member \"acess\" in a port's \"vlan\"; it takes mode, access, trunk, native")]
    [InlineData("""{"ports": {"0": "tap0"}}""", "is not valid: \"ports\" must be a list of TAP names")]
    [InlineData("""{"name": 5}""", "is not valid: \"name\" must be a switch name (text) (line 1, column 10)")]
    [InlineData("{\n  \"name\": \"fb0\",\n  \"aging\": \"x\"\n}", "is not valid: \"aging\" must be a whole number of seconds (line 3, column 12)")] // README's example
    public void A_bad_file_is_refused_in_its_own_terms(string json, string expected)
    {
        string path = File(json);
        FormatException bad = Assert.Throws<FormatException>(() => RunConfiguration.Load(path));
        Assert.StartsWith($"config file '{path}'", bad.Message);
        Assert.Contains(expected, bad.Message);
        UsageErrorTests.AssertInUsersWords(bad.Message);
    }

    [Fact]
    public void A_missing_file_or_a_directory_is_named_as_such()
    {
        string missing = Path.Combine(_dir, "none.json");
        Assert.Equal($"cannot read config file '{missing}': no such file", Assert.Throws<FormatException>(() => RunConfiguration.Load(missing)).Message);
        Assert.Equal($"cannot read config file '{_dir}': it is a directory", Assert.Throws<FormatException>(() => RunConfiguration.Load(_dir)).Message);
    }

    [Fact]
    public void A_hidden_file_is_read_like_any_other()
    {
        string path = Path.Combine(_dir, ".fb0.json");
        System.IO.File.WriteAllText(path, """{ "aging": 9 }""");
        Assert.Equal(9, RunConfiguration.Load(path).Aging);
    }

    [Fact]
    public void Without_a_file_the_flags_need_a_port_and_a_tap_named_twice_is_refused()
    {
        var none = new CommandLineSource();
        Assert.Equal("at least one --tap NAME is needed (or a --config FILE)",
            Assert.Throws<FormatException>(() => RunConfiguration.Load(null, none, new RunSources(null, false, []))).Message);
        Assert.Empty(RunConfiguration.Load(null, none, new RunSources(null, false, ["eth9"])).PortNames());

        var twice = new CommandLineSource();
        twice.SetList("ports", ["t0", "t1", "t0"]);
        Assert.Equal("--tap t0 given twice", Assert.Throws<FormatException>(() => RunConfiguration.Load(null, twice, new RunSources(null, true, []))).Message);
    }

    [Fact]
    public void A_mirror_may_name_any_port_the_switch_starts_with_and_no_other()
    {
        string path = File("""
            { "ports": ["tap0"], "vxlan": ["vx0:vni=1,local=198.18.0.1"],
              "mirrors": [{"name": "a", "from": ["tap0", "vx0"], "to": "mon"}, {"name": "b", "from": ["eth9", "vm0"], "to": "tap0"}] }
            """);
        var sources = new RunSources(path, TapsGiven: false, OtherPorts: ["mon", "eth9", "vm0"]); // --stream mon=..., --netdev eth9, --vhost-user vm0=...
        Assert.Equal(["a", "b"], RunConfiguration.Load(path, new CommandLineSource(), sources).MirrorList().Select(m => m.Name));

        FormatException bad = Assert.Throws<FormatException>(() => RunConfiguration.Load(path));
        Assert.EndsWith("mirror 'a': no port named 'mon' among the ports the switch starts with (tap0, vx0)", bad.Message);

        var taps = new CommandLineSource();
        taps.SetList("ports", ["t1"]); // --tap replaces the file's ports, tap0 among them
        bad = Assert.Throws<FormatException>(() => RunConfiguration.Load(path, taps, sources with { TapsGiven = true }));
        Assert.Contains("mirror 'a': no port named 'tap0'", bad.Message);
    }
}
