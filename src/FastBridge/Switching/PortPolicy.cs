namespace FastBridge.Switching;

/// <summary>
/// What a port may do besides carrying frames: its VLANs and the Linux bridge's per-port flags (<c>bridge link set</c>:
/// learning, flood, mcast_flood, bcast_flood, isolated, hairpin), with the same defaults. Immutable: the control plane
/// replaces a port's policy whole and publishes it in a new dataplane view, which the workers read once per burst.
/// </summary>
/// <remarks>
/// Flags, from the point of view of this port:
/// Learning: sources of frames arriving here are learned. FloodUnknown / FloodMulticast / FloodBroadcast: floods of
/// that kind (unknown unicast, multicast, broadcast) are sent out of this port. Isolated: frames never go between two
/// isolated ports (each talks only to non-isolated ones). Hairpin: a frame may leave by the port it came in on
/// (VEPA / reflective relay).
/// </remarks>
public sealed record PortPolicy
{
    /// <summary>Everything as the Linux bridge's defaults and VLAN transparent: today's behaviour.</summary>
    public static PortPolicy Default { get; } = new();

    public PortVlan Vlan { get; init; } = PortVlan.None;

    public bool Learning { get; init; } = true;

    public bool FloodUnknown { get; init; } = true;

    public bool FloodMulticast { get; init; } = true;

    public bool FloodBroadcast { get; init; } = true;

    public bool Isolated { get; init; }

    public bool Hairpin { get; init; }

    /// <summary>True when the policy changes nothing on the frame path (the dataplane's fast path then applies).</summary>
    public bool IsDefault => Equals(Default);
}
