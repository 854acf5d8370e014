using FastBridge.Switching;

namespace FastBridge.Dataplane;

/// <summary>One output port of the copies of one source port in one direction, and the VLANs copied (null: all).</summary>
internal readonly struct MirrorTarget(int output, VlanSet? vlans)
{
    public readonly int Output = output;
    public readonly VlanSet? Vlans = vlans;
}

/// <summary>
/// The bridge's mirrors as the workers read them: per source port id, where copies of its received and of its sent
/// frames go; and which ports are outputs (their input is ignored, they take no floods and no unicast).
/// </summary>
/// <remarks>
/// Design: part of the immutable <see cref="DataplaneView"/>, rebuilt with it under the bridge's control lock, so a
/// mirror change reaches the workers by the view's grace-period rule, without a lock or a volatile read per frame.
/// Mirrors with the same source, direction and output are merged here (their VLANs united), so a frame is copied at
/// most once per event and output port. Null in the view when no mirror is enabled: the frame path then tests one
/// reference per burst (receive) and per output group (egress).
/// </remarks>
internal sealed class MirrorSet
{
    private MirrorSet(int ports)
    {
        Rx = new MirrorTarget[ports][];
        Tx = new MirrorTarget[ports][];
        IsOutput = new bool[ports];
    }

    /// <summary>Rx[id]: where copies of the frames received on port id go, or null.</summary>
    public MirrorTarget[]?[] Rx { get; }

    /// <summary>Tx[id]: where copies of the frames sent by port id go, or null.</summary>
    public MirrorTarget[]?[] Tx { get; }

    /// <summary>IsOutput[id]: port id is a mirror's output port.</summary>
    public bool[] IsOutput { get; }

    /// <summary>The enabled mirrors of <paramref name="mirrors"/> resolved against <paramref name="slots"/>; null when none.</summary>
    public static MirrorSet? Build(IReadOnlyList<Mirror> mirrors, PortSlot?[] slots)
    {
        var set = new MirrorSet(slots.Length);
        bool any = false;
        foreach (Mirror mirror in mirrors)
        {
            int output = IdOf(slots, mirror.Output);
            if (mirror.Disabled is not null || output < 0)
            {
                continue;
            }

            any = true;
            set.IsOutput[output] = true;
            foreach (string source in mirror.Sources)
            {
                int id = IdOf(slots, source);
                if (id < 0)
                {
                    continue;
                }

                if ((mirror.Direction & MirrorDirection.Rx) != 0)
                {
                    set.Rx[id] = Merge(set.Rx[id], output, mirror.Vlan);
                }

                if ((mirror.Direction & MirrorDirection.Tx) != 0)
                {
                    set.Tx[id] = Merge(set.Tx[id], output, mirror.Vlan);
                }
            }
        }

        return any ? set : null;
    }

    /// <summary><paramref name="targets"/> with <paramref name="output"/> added, or its VLANs widened by <paramref name="vlan"/> (0: all).</summary>
    private static MirrorTarget[] Merge(MirrorTarget[]? targets, int output, int vlan)
    {
        targets ??= [];
        for (int t = 0; t < targets.Length; t++)
        {
            if (targets[t].Output == output)
            {
                VlanSet? vlans = targets[t].Vlans is not { } old || vlan == 0 ? null : old.With(vlan);
                targets[t] = new MirrorTarget(output, vlans);
                return targets;
            }
        }

        return [.. targets, new MirrorTarget(output, vlan == 0 ? null : VlanSet.Of(vlan))];
    }

    private static int IdOf(PortSlot?[] slots, string name)
    {
        foreach (PortSlot? slot in slots)
        {
            if (slot is not null && slot.Port.Name == name)
            {
                return slot.Id;
            }
        }

        return -1;
    }
}
