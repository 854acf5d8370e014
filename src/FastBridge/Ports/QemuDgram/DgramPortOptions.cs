namespace FastBridge.Ports.QemuDgram;

/// <summary>How a <see cref="DgramPort"/> creates its socket and whom it takes datagrams from.</summary>
public sealed record DgramPortOptions
{
    public static DgramPortOptions Default { get; } = new();

    /// <summary>
    /// Group that may send to the socket (a name or a number): the socket file is then owned by it with mode 0660, so a
    /// QEMU running as another user in that group (libvirt's <c>libvirt-qemu</c>) can reach it. Null: mode 0600.
    /// </summary>
    public string? Group { get; init; }

    /// <summary>
    /// The peer's socket path (QEMU's <c>local.path</c>): only datagrams from it are taken, and frames go to it. Null
    /// (the default): the peer is the first socket that sends a frame, until it is found gone.
    /// </summary>
    public string? Peer { get; init; }
}
