namespace FastBridge.Ports;

/// <summary>
/// What a port says about itself in port-list, port-add, status and stats beyond its name, id, kind and state: each
/// port kind fills in the members that apply to it in <see cref="Port.Describe"/>; the others stay null and are left
/// out of the JSON and shown as "-" by the CLI.
/// </summary>
/// <remarks>
/// Design: the control layer shows every port kind the same way without knowing the kinds (no type checks).
/// <see cref="Control.PortInfo"/> extends this class, so a new member here is one edit: it reaches the control
/// protocol's JSON under its snake_case name and the CLI reads it back.
/// </remarks>
public class PortDescription
{
    /// <summary>The kernel interface (tap, netdev) or the socket path (vhost-user) the port works through.</summary>
    public string? Device { get; set; }

    /// <summary>vhost-user ports: the virtio features negotiated with the frontend (hexadecimal, "-" when none).</summary>
    public string? Features { get; set; }

    /// <summary>vhost-user ports: whether a frontend (VM) is connected.</summary>
    public bool? Connected { get; set; }

    /// <summary>
    /// vhost-user ports: why the last frontend connection ended (the frontend closed it, or the port turned it away: a
    /// malformed message, guest memory that cannot be sealed...); null while none has ended. The port's state reason
    /// says why it is down now; this says what happened to the last frontend, also when the port was never up.
    /// </summary>
    public string? LastDisconnect { get; set; }

    /// <summary>Multi-queue ports (a TAP opened with several queues): how many queues it has, each received by one worker.</summary>
    public int? Queues { get; set; }

    /// <summary>Multi-queue ports: frames received through each queue, in queue order (shows that every queue is served).</summary>
    public IReadOnlyList<long>? QueueRxFrames { get; set; }

    /// <summary>Multi-queue ports: frames the workers gave to each queue to send, in queue order.</summary>
    public IReadOnlyList<long>? QueueTxFrames { get; set; }
}
