using System.Diagnostics.CodeAnalysis;
using FastBridge.Switching;

namespace FastBridge.Control;

/// <summary>
/// A port's VLANs in JSON: <c>{"access": 10}</c>, <c>{"trunk": "10,20,100-199", "native": 1}</c> or
/// <c>{"mode": "none"}</c>. Responses carry all of them with <c>mode</c> (none, access, trunk).
/// </summary>
public sealed class PortVlanInfo
{
    /// <summary>none, access or trunk; optional in requests (implied by the other members), always in responses.</summary>
    public string? Mode { get; set; }

    /// <summary>Access: the port's VLAN, 1 to 4094.</summary>
    public int? Access { get; set; }

    /// <summary>Trunk: the VLANs carried tagged, as <c>10,20,100-199</c>.</summary>
    public string? Trunk { get; set; }

    /// <summary>Trunk: the VLAN carried untagged (optional).</summary>
    public int? Native { get; set; }
}

/// <summary>
/// A port's policy in JSON: in a <c>port-set</c> request (members left out stay as they are), in port-list and
/// status responses (every member), and per port in the config file. Names as the Linux bridge's
/// <c>bridge link set</c>: <c>learning</c>, <c>flood_unknown</c> (flood), <c>flood_multicast</c> (mcast_flood),
/// <c>flood_broadcast</c> (bcast_flood), <c>isolated</c>, <c>hairpin</c>.
/// </summary>
public class PortPolicyInfo
{
    public PortVlanInfo? Vlan { get; set; }

    public bool? Learning { get; set; }

    public bool? FloodUnknown { get; set; }

    public bool? FloodMulticast { get; set; }

    public bool? FloodBroadcast { get; set; }

    public bool? Isolated { get; set; }

    public bool? Hairpin { get; set; }

    /// <summary>Every member of <paramref name="policy"/>, as responses show it.</summary>
    public static PortPolicyInfo From(PortPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        PortVlan vlan = policy.Vlan;
        return new PortPolicyInfo
        {
            Vlan = new PortVlanInfo
            {
                Mode = vlan.Mode.ToString().ToLowerInvariant(),
                Access = vlan.Mode == VlanMode.Access ? vlan.Vid : null,
                Trunk = vlan.Mode == VlanMode.Trunk ? vlan.Allowed.ToString() : null,
                Native = vlan.Mode == VlanMode.Trunk && vlan.Vid != 0 ? vlan.Vid : null,
            },
            Learning = policy.Learning,
            FloodUnknown = policy.FloodUnknown,
            FloodMulticast = policy.FloodMulticast,
            FloodBroadcast = policy.FloodBroadcast,
            Isolated = policy.Isolated,
            Hairpin = policy.Hairpin,
        };
    }

    /// <summary>
    /// <paramref name="current"/> with the members given here applied; false with a one-line <paramref name="error"/>
    /// when they make no sense (a VLAN out of 1-4094, access with trunk, native without trunk).
    /// </summary>
    public bool TryApply(PortPolicy current, [NotNullWhen(true)] out PortPolicy? policy, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(current);
        policy = null;
        PortVlan vlan = current.Vlan;
        if (Vlan is not null && !TryVlan(Vlan, out vlan!, out error))
        {
            return false;
        }

        policy = current with
        {
            Vlan = vlan,
            Learning = Learning ?? current.Learning,
            FloodUnknown = FloodUnknown ?? current.FloodUnknown,
            FloodMulticast = FloodMulticast ?? current.FloodMulticast,
            FloodBroadcast = FloodBroadcast ?? current.FloodBroadcast,
            Isolated = Isolated ?? current.Isolated,
            Hairpin = Hairpin ?? current.Hairpin,
        };
        error = null;
        return true;
    }

    private static bool TryVlan(PortVlanInfo info, [NotNullWhen(true)] out PortVlan? vlan, [NotNullWhen(false)] out string? error)
    {
        vlan = null;
        string mode = info.Mode ?? (info.Access is not null ? "access" : info.Trunk is not null ? "trunk" : "none");
        switch (mode)
        {
            case "access" when info.Trunk is null && info.Native is null && info.Access is { } vid:
                if (!VlanSet.IsValidVid(vid))
                {
                    error = $"access VLAN {vid} is out of range ({VlanSet.MinVid} to {VlanSet.MaxVid})";
                    return false;
                }

                vlan = PortVlan.Access(vid);
                break;
            case "trunk" when info.Access is null && info.Trunk is not null:
                if (!VlanSet.TryParse(info.Trunk, out VlanSet? allowed, out error))
                {
                    return false;
                }

                if (info.Native is { } native && !VlanSet.IsValidVid(native))
                {
                    error = $"native VLAN {native} is out of range ({VlanSet.MinVid} to {VlanSet.MaxVid})";
                    return false;
                }

                vlan = PortVlan.Trunk(allowed, info.Native ?? 0);
                break;
            case "none" when info.Access is null && info.Trunk is null && info.Native is null:
                vlan = PortVlan.None;
                break;
            default:
                error = "\"vlan\" takes one of {\"access\": VID}, {\"trunk\": \"VIDS\", \"native\"?: VID} or {\"mode\": \"none\"}";
                return false;
        }

        error = null;
        return true;
    }
}
