using System.CommandLine;
using FastBridge.Ports.VhostUser;
using Microsoft.Extensions.Logging;

namespace FastBridge.Cli.Commands;

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

    public static bool Any(ParseResult result, VhostUserRunOptions o) =>
        (result.GetValue(o.Servers)?.Length ?? 0) + (result.GetValue(o.Clients)?.Length ?? 0) > 0;

    /// <summary>Adds the ports; false (after printing why) when one cannot be opened.</summary>
    public bool AddPorts(ParseResult? result, Bridge bridge, ILogger log)
    {
        if (result is null)
        {
            return true;
        }

        string? group = result.GetValue(Group);
        foreach ((string spec, bool client) in (result.GetValue(Servers) ?? []).Select(s => (s, false))
            .Concat((result.GetValue(Clients) ?? []).Select(s => (s, true))))
        {
            try
            {
                (string name, string path) = VhostUserPortSpec.Parse(spec);
                bridge.AddPort(VhostUserPortSpec.Open(name, path, client, group));
                log.LogInformation("vhost-user port {Name} {Role} {Path}", name, client ? "connecting to" : "listening on", path);
            }
            catch (Exception e) when (e is ArgumentException or IOException or System.Net.Sockets.SocketException or InvalidOperationException)
            {
                Console.Error.WriteLine($"fastbridge: vhost-user {spec}: {e.Message}");
                return false;
            }
        }

        return true;
    }
}
