using FastBridge.Diagnostics;

namespace FastBridge.Tests.Properties;

/// <summary>A port's VLANs and flags in the reference bridge: plain fields, as the Linux bridge documents them.</summary>
internal sealed record ReferencePolicy(
    string Mode = "none", int Vid = 0, int[]? Trunk = null,
    bool Learning = true, bool FloodUnknown = true, bool FloodMulticast = true, bool FloodBroadcast = true,
    bool Isolated = false, bool Hairpin = false)
{
    public bool Carries(int vid) => Mode switch
    {
        "access" => vid == Vid,
        "trunk" => Trunk!.Contains(vid) || (Vid != 0 && vid == Vid),
        _ => true,
    };
}

/// <summary>
/// The reference bridge with per-port VLANs and flags (Linux bridge vlan_filtering and <c>bridge link set</c>),
/// written out plainly and independently of the engine's classification and flood lists.
/// </summary>
internal sealed partial class ReferenceBridge
{
    private readonly Dictionary<int, ReferencePolicy> _policies = [];

    public ReferencePolicy PolicyOf(int port) => _policies.GetValueOrDefault(port) ?? new ReferencePolicy();

    /// <summary>Sets a port's policy; when its VLANs change, forgets its dynamic entries in VLANs it no longer carries.</summary>
    public void SetPolicy(int port, ReferencePolicy policy)
    {
        ReferencePolicy old = PolicyOf(port);
        _policies[port] = policy;
        if (old.Mode != policy.Mode || old.Vid != policy.Vid || !(old.Trunk ?? []).SequenceEqual(policy.Trunk ?? []))
        {
            foreach (var key in _table.Where(e => e.Value.Port == port && !e.Value.Static && !policy.Carries(e.Key.Vlan)).Select(e => e.Key).ToList())
            {
                _table.Remove(key);
            }
        }
    }

    /// <summary>
    /// Where a valid frame goes: output port → the VLAN tag it leaves with (0: untagged, -1: as it came), or the drop
    /// reason. <paramref name="withheld"/> gets the ports a flood skipped because of their flags or isolation.
    /// </summary>
    public Dictionary<int, int> Forward(int ingress, ulong src, ulong dst, bool tagged, int tagVid, List<int> withheld, out DropReason drop)
    {
        drop = DropReason.None;
        ReferencePolicy from = PolicyOf(ingress);
        int vid;
        switch (from.Mode)
        {
            case "access" when !tagged || tagVid == 0 || tagVid == from.Vid:
                vid = from.Vid;
                break;
            case "trunk" when (!tagged || tagVid == 0) && from.Vid != 0:
                vid = from.Vid;
                break;
            case "trunk" when tagged && tagVid != 0 && from.Carries(tagVid):
                vid = tagVid;
                break;
            case "none":
                vid = tagged ? tagVid : 0;
                break;
            default:
                drop = DropReason.VlanFiltered;
                return [];
        }

        ushort vlan = (ushort)vid;
        if (from.Learning && (!_table.TryGetValue((src, vlan), out var entry) || !entry.Static))
        {
            _table[(src, vlan)] = (ingress, false);
        }

        var outputs = new Dictionary<int, int>();
        bool unicast = (dst & 1) == 0;
        if (unicast && _table.TryGetValue((dst, vlan), out var known) && _ports.Contains(known.Port)
            && (known.Port == ingress || PolicyOf(known.Port).Carries(vid)))
        {
            ReferencePolicy to = PolicyOf(known.Port);
            if (known.Port == ingress && !from.Hairpin)
            {
                drop = DropReason.SamePort;
            }
            else if (known.Port != ingress && from.Isolated && to.Isolated)
            {
                drop = DropReason.Isolated;
            }
            else
            {
                outputs[known.Port] = Egress(to, vid);
            }

            return outputs;
        }

        int candidates = 0;
        foreach (int p in _ports.Order())
        {
            ReferencePolicy to = PolicyOf(p);
            if ((p == ingress && !from.Hairpin) || !to.Carries(vid))
            {
                continue;
            }

            candidates++;
            bool takes = dst == ulong.MaxValue >> 16 ? to.FloodBroadcast : !unicast ? to.FloodMulticast : to.FloodUnknown;
            if (!takes || (p != ingress && from.Isolated && to.Isolated))
            {
                withheld.Add(p);
                continue;
            }

            outputs[p] = Egress(to, vid);
        }

        drop = outputs.Count > 0 ? DropReason.None : candidates == 0 ? DropReason.NoOutput : DropReason.FloodRefused;
        return outputs;
    }

    /// <summary>The tag a frame of VLAN <paramref name="vid"/> leaves <paramref name="to"/> with: 0 untagged, -1 as it came, else that VID.</summary>
    private static int Egress(ReferencePolicy to, int vid) => to.Mode switch
    {
        "access" => 0,
        "trunk" => vid == to.Vid ? 0 : vid,
        _ => vid == 0 ? -1 : vid,
    };
}
