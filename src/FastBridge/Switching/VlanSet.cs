using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text;

namespace FastBridge.Switching;

/// <summary>
/// An immutable set of VLAN ids 1 to 4094, written as in <c>10,20,100-199</c> (the Linux bridge's and Open vSwitch's
/// <c>trunks=</c> notation): a trunk port's allowed list.
/// </summary>
/// <remarks>
/// Design: a 4096-bit map (64 words), so membership is one shift and one mask on the frame path. Ids 0 and 4095 are
/// reserved by 802.1Q (0: priority tag, no VLAN; 4095: reserved) and are never members.
/// </remarks>
public sealed class VlanSet : IEquatable<VlanSet>
{
    /// <summary>Lowest VLAN id a port may carry.</summary>
    public const int MinVid = 1;

    /// <summary>Highest VLAN id a port may carry.</summary>
    public const int MaxVid = 4094;

    private readonly ulong[] _bits = new ulong[64];

    private VlanSet()
    {
    }

    /// <summary>The set of <paramref name="vids"/> (each 1 to 4094).</summary>
    public static VlanSet Of(params ReadOnlySpan<int> vids)
    {
        var set = new VlanSet();
        foreach (int vid in vids)
        {
            if (!IsValidVid(vid))
            {
                throw new ArgumentOutOfRangeException(nameof(vids), vid, $"VLAN {vid} is out of range ({MinVid} to {MaxVid})");
            }

            set._bits[vid >> 6] |= 1UL << vid;
        }

        return set;
    }

    /// <summary>Whether <paramref name="vid"/> is a VLAN id a port may be configured with (1 to 4094).</summary>
    public static bool IsValidVid(int vid) => vid is >= MinVid and <= MaxVid;

    /// <summary>Whether <paramref name="vid"/> (any value 0-4095) is in the set.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Contains(int vid) => (_bits[(vid >> 6) & 63] & (1UL << vid)) != 0;

    /// <summary>Number of VLANs in the set.</summary>
    public int Count
    {
        get
        {
            int count = 0;
            foreach (ulong word in _bits)
            {
                count += BitOperations.PopCount(word);
            }

            return count;
        }
    }

    /// <summary>A copy with <paramref name="vid"/> added.</summary>
    public VlanSet With(int vid)
    {
        var set = new VlanSet();
        _bits.CopyTo(set._bits, 0);
        set._bits[vid >> 6] |= 1UL << vid;
        return set;
    }

    /// <summary>
    /// Parses <c>10,20,100-199</c>: comma-separated ids and inclusive ranges, each 1 to 4094, at least one. False with a
    /// one-line <paramref name="error"/> otherwise.
    /// </summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out VlanSet? set, [NotNullWhen(false)] out string? error)
    {
        set = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "the VLAN list is empty (expected e.g. 10,20,100-199)";
            return false;
        }

        var parsed = new VlanSet();
        foreach (string raw in text.Split(','))
        {
            string part = raw.Trim();
            int dash = part.IndexOf('-', 1 < part.Length ? 1 : 0);
            string low = dash > 0 ? part[..dash] : part;
            string high = dash > 0 ? part[(dash + 1)..] : part;
            if (!TryVid(low, out int from, out error) || !TryVid(high, out int to, out error))
            {
                return false;
            }

            if (to < from)
            {
                error = $"'{part}' is not a range: {to} is below {from}";
                return false;
            }

            for (int vid = from; vid <= to; vid++)
            {
                parsed._bits[vid >> 6] |= 1UL << vid;
            }
        }

        set = parsed;
        error = null;
        return true;
    }

    /// <summary>Parses one VLAN id, 1 to 4094.</summary>
    public static bool TryParseVid(string? text, out int vid, [NotNullWhen(false)] out string? error) => TryVid(text?.Trim() ?? "", out vid, out error);

    private static bool TryVid(string text, out int vid, [NotNullWhen(false)] out string? error)
    {
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out vid))
        {
            error = $"'{text}' is not a VLAN id (a number from {MinVid} to {MaxVid})";
            return false;
        }

        if (!IsValidVid(vid))
        {
            error = $"VLAN {vid} is out of range ({MinVid} to {MaxVid})";
            return false;
        }

        error = null;
        return true;
    }

    /// <summary>The compact form, ranges joined: <c>10,20,100-199</c>.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        for (int vid = MinVid; vid <= MaxVid; vid++)
        {
            if (!Contains(vid))
            {
                continue;
            }

            int end = vid;
            while (end < MaxVid && Contains(end + 1))
            {
                end++;
            }

            text.Append(text.Length > 0 ? "," : "").Append(vid.ToString(CultureInfo.InvariantCulture));
            if (end > vid)
            {
                text.Append('-').Append(end.ToString(CultureInfo.InvariantCulture));
            }

            vid = end;
        }

        return text.ToString();
    }

    public bool Equals(VlanSet? other) => other is not null && _bits.AsSpan().SequenceEqual(other._bits);

    public override bool Equals(object? obj) => Equals(obj as VlanSet);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (ulong word in _bits)
        {
            hash.Add(word);
        }

        return hash.ToHashCode();
    }
}
