namespace FastBridge.Switching;

/// <summary>Which frames of a mirror's source ports are copied.</summary>
[Flags]
public enum MirrorDirection : byte
{
    /// <summary>Frames received on a source port (as they arrived).</summary>
    Rx = 1,

    /// <summary>Frames sent by a source port (after VLAN egress tagging, as they leave).</summary>
    Tx = 2,

    /// <summary>Both.</summary>
    Both = Rx | Tx,
}

/// <summary>
/// A port mirror (a SPAN session, an Open vSwitch <c>Mirror</c>): copies of the frames received on and/or sent by the
/// <see cref="Sources"/>, optionally only those of one VLAN, leave through <see cref="Output"/>, a port that then
/// carries nothing but mirrored frames (it takes no floods and no unicast, and its own input is ignored).
/// </summary>
/// <remarks>
/// Immutable; <see cref="Bridge.AddMirror"/> checks it against the bridge's ports. A frame is copied once per event
/// and output port: a frame received on one source port and sent by another is copied twice (as received, as sent),
/// as a SPAN session does; two mirrors with the same output and source do not copy it twice.
/// </remarks>
public sealed record Mirror
{
    /// <summary>The mirror's name, unique in the bridge.</summary>
    public required string Name { get; init; }

    /// <summary>Names of the ports whose frames are copied (a removed port leaves this list).</summary>
    public required IReadOnlyList<string> Sources { get; init; }

    /// <summary>Name of the port the copies leave by.</summary>
    public required string Output { get; init; }

    /// <summary>Received frames, sent frames or both (the default).</summary>
    public MirrorDirection Direction { get; init; } = MirrorDirection.Both;

    /// <summary>Only frames of this VLAN (1 to 4094), or 0 (the default) for every frame.</summary>
    public int Vlan { get; init; }

    /// <summary>
    /// Why the mirror copies nothing any more, or null while it works: its output port was removed (as Open vSwitch
    /// does, the mirror is kept, disabled, until it is deleted; adding a port of that name again does not revive it).
    /// </summary>
    public string? Disabled { get; init; }
}
