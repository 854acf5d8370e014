using System.Runtime.CompilerServices;

namespace FastBridge.Switching;

/// <summary>How a port takes part in 802.1Q VLANs.</summary>
public enum VlanMode : byte
{
    /// <summary>VLAN transparent (the default): frames keep whatever tag they carry; untagged frames are in VLAN 0.</summary>
    None = 0,

    /// <summary>One VLAN, untagged on the wire (Open vSwitch <c>tag=VID</c>; Linux bridge <c>pvid untagged</c>).</summary>
    Access = 1,

    /// <summary>A set of VLANs, tagged, optionally one native VLAN untagged (OVS <c>trunks=</c>, <c>vlan_mode=native-untagged</c>).</summary>
    Trunk = 2,
}

/// <summary>
/// A port's VLAN setting: <see cref="VlanMode.None"/>, access to one VLAN, or trunk of a set with an optional native
/// VLAN. Immutable; answers the three questions the frame path asks (which VLAN is this arriving frame in, does the
/// port carry VLAN v, does v leave it untagged).
/// </summary>
/// <remarks>
/// Semantics (docs/vlans.md): as the Linux bridge with <c>vlan_filtering 1</c> and Open vSwitch. Access VID: an
/// untagged or priority-tagged (VID 0) frame is in VID; a frame tagged with VID itself is accepted too (Linux
/// pvid+untagged); any other tag is filtered. Trunk: a tagged frame is in its VLAN if allowed; an untagged or
/// priority-tagged one is in the native VLAN, or filtered when there is none. The native VLAN is always allowed.
/// None: every VLAN as it comes, untouched (OVS's default trunk of all VLANs; untagged frames in VLAN 0, carried only
/// between VLAN-transparent ports).
/// </remarks>
public sealed class PortVlan : IEquatable<PortVlan>
{
    private static readonly VlanSet s_empty = VlanSet.Of();

    private PortVlan(VlanMode mode, int vid, VlanSet allowed)
    {
        Mode = mode;
        Vid = vid;
        Allowed = allowed;
    }

    /// <summary>VLAN transparent.</summary>
    public static PortVlan None { get; } = new(VlanMode.None, 0, s_empty);

    public VlanMode Mode { get; }

    /// <summary>Access: the port's VLAN; trunk: the native VLAN (0 when none); none: 0.</summary>
    public int Vid { get; }

    /// <summary>Trunk: the VLANs carried tagged (and the native one); access: just <see cref="Vid"/>; none: empty.</summary>
    public VlanSet Allowed { get; }

    /// <summary>An access port of VLAN <paramref name="vid"/> (1 to 4094).</summary>
    public static PortVlan Access(int vid)
    {
        ThrowIfInvalid(vid);
        return new PortVlan(VlanMode.Access, vid, VlanSet.Of(vid));
    }

    /// <summary>A trunk carrying <paramref name="allowed"/> tagged, and <paramref name="native"/> (0: none) untagged.</summary>
    public static PortVlan Trunk(VlanSet allowed, int native = 0)
    {
        ArgumentNullException.ThrowIfNull(allowed);
        if (native != 0)
        {
            ThrowIfInvalid(native);
            allowed = allowed.Contains(native) ? allowed : allowed.With(native);
        }

        return new PortVlan(VlanMode.Trunk, native, allowed);
    }

    /// <summary>
    /// The VLAN an arriving frame belongs to, given its outer tag (<paramref name="tagged"/>, <paramref name="tagVid"/>),
    /// or -1 when the port does not accept it (<c>vlan-filtered</c>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Classify(bool tagged, int tagVid)
    {
        switch (Mode)
        {
            case VlanMode.None:
                return tagVid;
            case VlanMode.Access:
                return !tagged || tagVid == 0 || tagVid == Vid ? Vid : -1;
            default:
                if (!tagged || tagVid == 0)
                {
                    return Vid != 0 ? Vid : -1;
                }

                return Allowed.Contains(tagVid) ? tagVid : -1;
        }
    }

    /// <summary>Whether frames of VLAN <paramref name="vid"/> may leave (and arrive on) this port.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Carries(int vid) => Mode == VlanMode.None || Allowed.Contains(vid);

    /// <summary>Whether frames of VLAN <paramref name="vid"/> leave untagged (access, or the trunk's native VLAN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool LeavesUntagged(int vid) => Mode != VlanMode.None && vid == Vid;

    /// <summary>Human form: <c>none</c>, <c>access 10</c>, <c>trunk 10,20 native 1</c>.</summary>
    public override string ToString() => Mode switch
    {
        VlanMode.Access => $"access {Vid}",
        VlanMode.Trunk => Vid != 0 ? $"trunk {Allowed} native {Vid}" : $"trunk {Allowed}",
        _ => "none",
    };

    public bool Equals(PortVlan? other) => other is not null && Mode == other.Mode && Vid == other.Vid && Allowed.Equals(other.Allowed);

    public override bool Equals(object? obj) => Equals(obj as PortVlan);

    public override int GetHashCode() => HashCode.Combine(Mode, Vid, Allowed);

    private static void ThrowIfInvalid(int vid)
    {
        if (!VlanSet.IsValidVid(vid))
        {
            throw new ArgumentOutOfRangeException(nameof(vid), vid, $"VLAN {vid} is out of range ({VlanSet.MinVid} to {VlanSet.MaxVid})");
        }
    }
}
