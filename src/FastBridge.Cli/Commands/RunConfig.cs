using System.Text.Json;
using System.Text.Json.Serialization;

namespace FastBridge.Cli.Commands;

/// <summary>
/// The file of <c>fastbridge run --config FILE</c>: every member optional, snake_case, unknown members rejected.
/// <code>{ "name": "fb0", "control": "/run/fastbridge/fb0.sock", "ports": ["tap0", "tap1"], "aging": 300, "max_macs": 8192, "workers": 2 }</code>
/// Flags given on the command line override the file's values (<c>--tap</c> replaces its port list).
/// </summary>
internal sealed partial class RunConfig
{
    public string? Name { get; set; }

    public string? Control { get; set; }

    public List<PortConfigEntry>? Ports { get; set; }

    /// <summary>Port mirrors, as the control protocol's <c>mirror-add</c> takes them (RunConfig.Mirrors.cs).</summary>
    public List<Control.MirrorInfo>? Mirrors { get; set; }

    public int? Aging { get; set; }

    public int? MaxMacs { get; set; }

    public int? Workers { get; set; }

    public int? MaxMacsPerPort { get; set; }

    public int? StormLimit { get; set; }

    public string? Metrics { get; set; }

    public bool? Offloads { get; set; }

    /// <summary>VXLAN tunnel ports, each "NAME:vni=42,local=ADDR,remote=ADDR" as <c>run --vxlan</c> takes it.</summary>
    public List<string>? Vxlan { get; set; }

    /// <summary>QEMU datagram-socket ports, each "[NAME=]PATH[,peer=GUEST]" as <c>run --dgram</c> takes it.</summary>
    public List<string>? Dgram { get; set; }

    /// <summary>The group that may send to the <see cref="Dgram"/> sockets (mode 0660), as <c>run --dgram-group</c>.</summary>
    public string? DgramGroup { get; set; }

    /// <summary>Reads and checks <paramref name="path"/>; throws <see cref="FormatException"/> with a one-line reason.</summary>
    public static RunConfig Load(string path)
    {
        RunConfig? config;
        try
        {
            using FileStream file = File.OpenRead(path);
            config = JsonSerializer.Deserialize(file, RunConfigJson.Default.RunConfig);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new FormatException($"cannot read config file '{path}': no such file", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FormatException($"cannot read config file '{path}': {e.Message}", e);
        }
        catch (JsonException e)
        {
            throw new FormatException($"config file '{path}' is not valid: {Explain(e)}", e);
        }

        if (config is null)
        {
            throw new FormatException($"config file '{path}' must hold a JSON object");
        }

        config.Check(path);
        config.PortPolicies(path); // refuses a port whose policy makes no sense
        config.MirrorList(path);
        return config;
    }

    /// <summary>What each member must hold, in the words of an error message.</summary>
    private static readonly Dictionary<string, string> s_expected = new()
    {
        ["name"] = "a switch name (text)",
        ["control"] = "a socket path (text)",
        ["ports"] = "a list of TAP names, e.g. [\"tap0\", \"tap1\"], or port objects, e.g. {\"name\": \"tap1\", \"vlan\": {\"access\": 10}}, {\"name\": \"eth1\", \"kind\": \"netdev\"}, {\"name\": \"vm0\", \"vhost_user\": \"/run/vm0.sock\"}",
        ["mirrors"] = "a list of mirrors, e.g. [{\"name\": \"ids\", \"from\": [\"tap1\"], \"to\": \"tap9\", \"direction\": \"both\"}]",
        ["aging"] = "a whole number of seconds",
        ["max_macs"] = "a whole number of entries",
        ["max_macs_per_port"] = "a whole number of entries",
        ["workers"] = "a whole number of threads",
        ["storm_limit"] = "a whole number of frames per second",
        ["metrics"] = "an ADDRESS:PORT (text)",
        ["offloads"] = "true or false",
        ["vxlan"] = "a list of VXLAN ports, e.g. [\"vx0:vni=42,local=198.18.0.1,remote=198.18.0.2\"]",
        ["dgram"] = "a list of QEMU datagram-socket ports, e.g. [\"vm0=/run/fastbridge/vm0.sock\"]",
        ["dgram_group"] = "a group name or number (text)",
    };

    /// <summary>A JSON error in the file's terms: the member and what it must hold, or where the syntax broke.</summary>
    private static string Explain(JsonException e)
    {
        string? member = e.Path is { Length: > 2 } p && p.StartsWith("$.", StringComparison.Ordinal) ? p[2..].Split('[', '.')[0] : null;
        string where = e.LineNumber is long line ? $" (line {line + 1}, column {(e.BytePositionInLine ?? 0) + 1})" : "";
        if (member is not null && !s_expected.ContainsKey(member))
        {
            return $"unknown setting \"{member}\"{where}; the settings are {string.Join(", ", s_expected.Keys)}";
        }

        if (e is PortObjectException)
        {
            return $"\"ports\": {e.Message}{where}";
        }

        if (member is not null && e.Message.Contains("could not be converted", StringComparison.Ordinal))
        {
            return $"\"{member}\" must be {s_expected[member]}{where}";
        }

        return $"not well-formed JSON{where}";
    }

    private void Check(string path)
    {
        RunLimit.Aging.Check(Aging, path);
        RunLimit.MaxMacs.Check(MaxMacs, path);
        RunLimit.Workers.Check(Workers, path);
        RunLimit.MaxMacsPerPort.Check(MaxMacsPerPort, path);
        RunLimit.StormLimit.Check(StormLimit, path);

        if (Metrics is not null && !FastBridge.Cli.Metrics.PrometheusEndpoint.TryParse(Metrics, out _, out string? metricsError))
        {
            throw new FormatException($"config file '{path}': \"metrics\": {metricsError}");
        }

        if (Name is { Length: 0 } || Control is { Length: 0 })
        {
            throw new FormatException($"config file '{path}': \"name\" and \"control\" must not be empty");
        }

        foreach (PortConfigEntry port in Ports ?? [])
        {
            if (string.IsNullOrWhiteSpace(port.Name))
            {
                throw new FormatException($"config file '{path}': \"ports\" holds an empty name");
            }

            if (CheckKind(port) is { } error)
            {
                throw new FormatException($"config file '{path}': {error}");
            }
        }
    }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true)]
[JsonSerializable(typeof(RunConfig))]
internal sealed partial class RunConfigJson : JsonSerializerContext;
