namespace FastBridge.Ports.VhostUser;

/// <summary>
/// The command-line and control-protocol form of a vhost-user port: <c>PATH</c> or <c>NAME=PATH</c>; the port is
/// named after the socket file without its extension unless a name is given.
/// </summary>
public static class VhostUserPortSpec
{
    /// <summary>Splits <c>NAME=PATH</c> or <c>PATH</c> into the port name and the socket path.</summary>
    public static (string Name, string Path) Parse(string spec)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(spec);
        int equals = spec.IndexOf('=', StringComparison.Ordinal);
        int slash = spec.IndexOf('/', StringComparison.Ordinal);
        if (equals > 0 && (slash < 0 || equals < slash))
        {
            return (spec[..equals], spec[(equals + 1)..]);
        }

        string name = System.IO.Path.GetFileNameWithoutExtension(spec);
        if (string.IsNullOrEmpty(name))
        {
            throw new ArgumentException($"cannot name a port after '{spec}': give NAME=PATH", nameof(spec));
        }

        return (name, spec);
    }

    /// <summary>
    /// Opens the port (server role: the socket is created now; client role: connecting starts in the background).
    /// <paramref name="requireSealedMemory"/>: see <see cref="VhostUserPortOptions.RequireSealedMemory"/>.
    /// </summary>
    public static VhostUserPort Open(string name, string path, bool client, string? group, bool requireSealedMemory) =>
        new(name, new VhostUserPortOptions { SocketPath = path, Client = client, Group = group, RequireSealedMemory = requireSealedMemory });
}
