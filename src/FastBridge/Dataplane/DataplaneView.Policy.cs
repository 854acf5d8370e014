using FastBridge.Switching;

namespace FastBridge.Dataplane;

/// <summary>
/// The per-port policies (VLANs, flood and learning flags) as the workers read them, and the flood list of each VLAN,
/// worked out once per view so that no frame walks ports that do not carry its VLAN.
/// </summary>
internal sealed partial class DataplaneView
{
    /// <summary>
    /// Policies[id]: the policy of port id, or null when every port has the default policy — then the workers take the
    /// fast path that ignores policies altogether (one branch per burst).
    /// </summary>
    public PortPolicy[]? Policies { get; }

    /// <summary>
    /// FloodByVlan[vid]: ids of the forwarding ports that carry VLAN vid (0 to 4095), in id order; null when
    /// <see cref="Policies"/> is. VLANs no port names share one array (the VLAN-transparent ports).
    /// </summary>
    public int[][]? FloodByVlan { get; }

    /// <summary>
    /// What a mirror's output port is to the switching stages: a port that carries no VLAN, so it is in no flood list
    /// and no unicast goes to it (a lookup that finds it floods, as for a port outside the frame's VLAN).
    /// </summary>
    private static readonly PortPolicy s_mirrorOutput = PortPolicy.Default with { Vlan = PortVlan.Trunk(VlanSet.Of()) };

    /// <remarks>Mirrors take the policy path too: it is the one that knows a port may refuse a frame.</remarks>
    private static (PortPolicy[]?, int[][]?) BuildPolicies(PortSlot?[] slots, MirrorSet? mirrors)
    {
        bool any = mirrors is not null;
        foreach (PortSlot? slot in slots)
        {
            any |= slot is not null && !slot.Policy.IsDefault;
        }

        if (!any)
        {
            return (null, null);
        }

        var policies = new PortPolicy[slots.Length];
        var named = new bool[4096];
        var transparent = new List<int>();
        for (int id = 0; id < slots.Length; id++)
        {
            PortPolicy policy = mirrors?.IsOutput[id] == true ? s_mirrorOutput : slots[id]?.Policy ?? PortPolicy.Default;
            policies[id] = policy;
            if (slots[id] is not { Forwarding: true })
            {
                continue;
            }

            if (policy.Vlan.Mode == VlanMode.None)
            {
                transparent.Add(id);
            }
            else
            {
                for (int vid = VlanSet.MinVid; vid <= VlanSet.MaxVid; vid++)
                {
                    named[vid] |= policy.Vlan.Carries(vid);
                }
            }
        }

        int[] shared = [.. transparent];
        var flood = new int[4096][];
        var members = new List<int>();
        for (int vid = 0; vid < flood.Length; vid++)
        {
            if (!named[vid])
            {
                flood[vid] = shared;
                continue;
            }

            members.Clear();
            for (int id = 0; id < slots.Length; id++)
            {
                if (slots[id] is { Forwarding: true } && policies[id].Vlan.Carries(vid))
                {
                    members.Add(id);
                }
            }

            flood[vid] = [.. members];
        }

        return (policies, flood);
    }
}
