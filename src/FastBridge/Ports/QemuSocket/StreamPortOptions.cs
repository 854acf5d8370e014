using Microsoft.Extensions.Logging;

namespace FastBridge.Ports.QemuSocket;

/// <summary>How a <see cref="StreamPort"/> creates its socket and sizes its rings.</summary>
public sealed record StreamPortOptions
{
    public static StreamPortOptions Default { get; } = new();

    /// <summary>
    /// Group that may connect (a name or a number): the socket is then owned by it with mode 0660, so a QEMU running
    /// as another user in that group (libvirt's <c>libvirt-qemu</c>) can connect. Null: mode 0600, root (the owner) only.
    /// </summary>
    public string? Group { get; init; }

    /// <summary>Frames each direction holds between the socket side and the worker (a power of two).</summary>
    public int RingSize { get; init; } = 1024;

    /// <summary>Where connection events are logged (connected, refused, disconnected and why).</summary>
    public ILogger? Log { get; init; }
}
