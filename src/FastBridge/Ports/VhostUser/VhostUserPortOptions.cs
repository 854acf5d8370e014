namespace FastBridge.Ports.VhostUser;

/// <summary>How a vhost-user port reaches its frontend.</summary>
public sealed record VhostUserPortOptions
{
    /// <summary>The unix socket: created here (server role) or connected to (client role).</summary>
    public required string SocketPath { get; init; }

    /// <summary>Client role: connect to a frontend listening on <see cref="SocketPath"/> (QEMU server=on), retrying.</summary>
    public bool Client { get; init; }

    /// <summary>Server role: the group that may connect (the socket becomes 0660 and owned by it); null: mode 0600.</summary>
    public string? Group { get; init; }

    /// <summary>
    /// Refuse (close the connection on) a memory table whose files cannot be sealed against shrinking (F_SEAL_SHRINK):
    /// QEMU's memfd backend passes; DPDK's hugetlbfs files do not. Off by default (docs/vhost-user.md, "Trust boundary").
    /// </summary>
    public bool RequireSealedMemory { get; init; }

    /// <summary>Longest wait between two connection attempts of the client role.</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(2);
}
