using System.CommandLine;
using FastBridge.Ports.VhostUser;
using Microsoft.Extensions.Logging;

namespace FastBridge.Cli.Commands;

/// <summary>A vhost-user port to open at start: from the command line or from a port object of the config file.</summary>
internal readonly record struct VhostUserPortConfig(string Name, string Path, bool Client);

/// <summary><c>fastbridge run --vhost-user [NAME=]PATH --vhost-user-client [NAME=]PATH --vhost-user-group GROUP</c>.</summary>
internal sealed class VhostUserRunOptions
{
    public Option<string[]> Servers { get; } = new("--vhost-user")
    {
        Description = "vhost-user socket to create for a VM (QEMU connects as client); [NAME=]PATH, the port is named after the file; repeatable",
        Arity = ArgumentArity.ZeroOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<string[]> Clients { get; } = new("--vhost-user-client")
    {
        Description = "vhost-user socket a VM listens on (QEMU server=on) to connect to, retrying; [NAME=]PATH; repeatable",
        Arity = ArgumentArity.ZeroOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<string?> Group { get; } = new("--vhost-user-group")
    {
        Description = "group allowed to connect to the vhost-user sockets (mode 0660; default 0600, owner only)",
    };

    public IEnumerable<Option> All => [Servers, Clients, Group];

    /// <summary>The names of the ports these options ask for (a spec that names no port is refused later, when opened).</summary>
    public IEnumerable<string> PortNames(ParseResult result) => (result.GetValue(Servers) ?? []).Concat(result.GetValue(Clients) ?? []).Select(NameOf);

    private static string NameOf(string spec)
    {
        try
        {
            return VhostUserPortSpec.Parse(spec).Name;
        }
        catch (ArgumentException)
        {
            return spec;
        }
    }

    /// <summary>
    /// Adds the ports of the command line, then those of the config file (<paramref name="fromFile"/>); false (after
    /// printing why) when one cannot be opened.
    /// </summary>
    public bool AddPorts(ParseResult? result, Bridge bridge, ILogger log, IEnumerable<VhostUserPortConfig> fromFile)
    {
        string? group = result?.GetValue(Group);
        IEnumerable<(string Spec, bool Client)> specs = result is null ? []
            : (result.GetValue(Servers) ?? []).Select(s => (s, false)).Concat((result.GetValue(Clients) ?? []).Select(s => (s, true)));
        foreach ((string spec, bool client) in specs)
        {
            try
            {
                (string name, string path) = VhostUserPortSpec.Parse(spec);
                Add(bridge, new VhostUserPortConfig(name, path, client), group, log);
            }
            catch (Exception e) when (IsOpenFailure(e))
            {
                Console.Error.WriteLine($"fastbridge: vhost-user {spec}: {e.Message}");
                return false;
            }
        }

        foreach (VhostUserPortConfig port in fromFile)
        {
            try
            {
                Add(bridge, port, group, log);
            }
            catch (Exception e) when (IsOpenFailure(e))
            {
                Console.Error.WriteLine($"fastbridge: vhost-user port '{port.Name}' ({port.Path}): {e.Message}");
                return false;
            }
        }

        return true;
    }

    private static bool IsOpenFailure(Exception e) =>
        e is ArgumentException or IOException or System.Net.Sockets.SocketException or InvalidOperationException;

    private static void Add(Bridge bridge, VhostUserPortConfig port, string? group, ILogger log)
    {
        bridge.AddPort(VhostUserPortSpec.Open(port.Name, port.Path, port.Client, group));
        log.LogInformation("vhost-user port {Name} {Role} {Path}", port.Name, port.Client ? "connecting to" : "listening on", port.Path);
    }
}
