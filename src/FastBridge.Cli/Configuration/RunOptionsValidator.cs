using FastBridge.Cli.Commands;
using FastBridge.Switching;
using Microsoft.Extensions.Options;

namespace FastBridge.Cli.Configuration;

/// <summary>Where the settings of a run came from, as far as checking them needs to know.</summary>
/// <param name="File">the config file's path as given, or null without <c>--config</c>.</param>
/// <param name="TapsGiven">true when <c>--tap</c> replaced the file's <c>ports</c>.</param>
/// <param name="OtherPorts">the ports given by flags that are not configuration (--netdev, --vhost-user, --stream).</param>
internal sealed record RunSources(string? File, bool TapsGiven, IReadOnlyList<string> OtherPorts);

/// <summary>
/// The one place the settings of <c>fastbridge run</c> are checked, after the config file and the flags are merged
/// and bound: ranges from <see cref="RunLimit"/> (the table the flags' parser uses too), the metrics address, the
/// ports (names, kinds, policies) and the mirrors. Each failure is one line in the user's words, naming the file when
/// the value came from it (a flag's value was already checked by the parser, with the same words).
/// </summary>
internal sealed class RunOptionsValidator(RunSources sources) : IValidateOptions<RunOptions>
{
    public ValidateOptionsResult Validate(string? name, RunOptions options)
    {
        // --tap's values were checked by its parser; a name given twice is the one thing about them seen only here.
        if (sources.TapsGiven && options.PortNames().GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            return ValidateOptionsResult.Fail($"--tap {twice.Key} given twice");
        }

        string? problem = RangeProblem(options) ?? TextProblem(options) ?? PortsProblem(options) ?? MirrorsProblem(options);
        if (problem is not null)
        {
            return ValidateOptionsResult.Fail(sources.File is { } file ? $"config file '{file}': {problem}" : problem);
        }

        if (sources.File is null && (options.Ports?.Count ?? 0) + (options.Vxlan?.Count ?? 0) + sources.OtherPorts.Count == 0)
        {
            return ValidateOptionsResult.Fail("at least one --tap NAME is needed (or a --config FILE)");
        }

        return ValidateOptionsResult.Success;
    }

    private static string? RangeProblem(RunOptions o) =>
        RunLimit.Aging.Problem(o.Aging) ?? RunLimit.MaxMacs.Problem(o.MaxMacs) ?? RunLimit.Workers.Problem(o.Workers)
        ?? RunLimit.MaxMacsPerPort.Problem(o.MaxMacsPerPort) ?? RunLimit.StormLimit.Problem(o.StormLimit);

    private static string? TextProblem(RunOptions o)
    {
        if (o.Metrics is not null && !Metrics.PrometheusEndpoint.TryParse(o.Metrics, out _, out string? metricsError))
        {
            return $"\"metrics\": {metricsError}";
        }

        return o.Name is { Length: 0 } || o.Control is { Length: 0 } ? "\"name\" and \"control\" must not be empty" : null;
    }

    private static string? PortsProblem(RunOptions o)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (PortOptions port in o.Ports ?? [])
        {
            if (string.IsNullOrWhiteSpace(port.Name))
            {
                return "\"ports\" holds an empty name";
            }

            if (!seen.Add(port.Name))
            {
                return $"\"ports\" names '{port.Name}' twice";
            }

            if (KindProblem(port) is { } kind)
            {
                return $"port '{port.Name}': {kind}";
            }

            if (port.Policy() is { } policy && !policy.TryApply(PortPolicy.Default, out _, out string? error))
            {
                return $"port '{port.Name}': {error}";
            }
        }

        return null;
    }

    /// <summary>What makes no sense in a port object beyond its policy (an unknown kind, client without vhost_user), or null.</summary>
    private static string? KindProblem(PortOptions port) => port switch
    {
        { Kind: not (null or "tap" or "netdev") } => $"\"kind\" must be tap or netdev (not '{port.Kind}'); a vhost-user port is given by \"vhost_user\"",
        { Kind: not null, VhostUser: not null } => "\"kind\" and \"vhost_user\" do not go together",
        { Client: not null, VhostUser: null } => "\"client\" goes with \"vhost_user\"",
        { VhostUser.Length: 0 } => "\"vhost_user\" must be a socket path",
        _ => null,
    };

    /// <summary>
    /// The mirrors checked as far as the settings alone can: names, directions, VLANs, and ports the switch will have
    /// once started (those of <c>ports</c> or <c>--tap</c>, <c>vxlan</c> or <c>--vxlan</c>, and the other port flags).
    /// </summary>
    private string? MirrorsProblem(RunOptions o)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        List<string> ports = [.. o.PortNames(), .. (o.Vxlan ?? []).Select(spec => spec.Split(':')[0]), .. sources.OtherPorts];
        foreach (MirrorOptions options in o.Mirrors ?? [])
        {
            if (!options.ToInfo().TryToMirror(out Mirror? mirror, out string? error))
            {
                return error;
            }

            if (!names.Add(mirror.Name))
            {
                return $"two mirrors are named '{mirror.Name}'";
            }

            if (mirror.Sources.Contains(mirror.Output))
            {
                return $"mirror '{mirror.Name}': port '{mirror.Output}' cannot be both a source and the output";
            }

            foreach (string port in mirror.Sources.Append(mirror.Output))
            {
                if (!ports.Contains(port))
                {
                    return $"mirror '{mirror.Name}': no port named '{port}' among the ports the switch starts with ({(ports.Count == 0 ? "none" : string.Join(", ", ports))})";
                }
            }
        }

        return null;
    }
}
