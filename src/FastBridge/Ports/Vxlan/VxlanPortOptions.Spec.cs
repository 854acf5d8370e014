using System.Globalization;
using System.Net;
using System.Text;

namespace FastBridge.Ports.Vxlan;

/// <summary>
/// The one-line form of a VXLAN port's options, shared by <c>run --vxlan NAME:SPEC</c>, the config file and the control
/// protocol: comma-separated <c>key=value</c>, keys <c>vni</c>, <c>local</c>, <c>remote</c> (repeatable),
/// <c>dstport</c>, <c>group</c>, <c>map=VID:VNI</c> (repeatable), <c>mtu</c>, <c>srcport-hash=false</c>.
/// Example: <c>vni=42,local=198.18.0.1,remote=198.18.0.2,map=10:1010</c>.
/// </summary>
public sealed partial record VxlanPortOptions
{
    /// <summary>Reads <paramref name="spec"/>; throws <see cref="FormatException"/> naming the part it could not read.</summary>
    public static VxlanPortOptions Parse(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var options = new VxlanPortOptions();
        var remotes = new List<IPAddress>();
        var map = new Dictionary<int, int>();
        foreach (string part in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new FormatException($"VXLAN option '{part}' is not key=value");
            }

            string key = part[..eq];
            string value = part[(eq + 1)..];
            options = key switch
            {
                "vni" => options with { Vni = Number(key, value) },
                "local" => options with { Local = Address(key, value) },
                "dstport" => options with { DestinationPort = Number(key, value) },
                "group" => options with { Group = Address(key, value) },
                "mtu" => options with { UnderlayMtu = Number(key, value) },
                "srcport-hash" => options with { HashSourcePort = value is "true" or "1" or "yes" },
                "remote" => Add(options, remotes, Address(key, value)),
                "map" => AddMap(options, map, value),
                _ => throw new FormatException($"unknown VXLAN option '{key}' (vni, local, remote, dstport, group, map, mtu, srcport-hash)"),
            };
        }

        return options with { Remotes = remotes, VlanMap = map };
    }

    /// <summary>The options in the form <see cref="Parse"/> reads.</summary>
    public string ToSpec()
    {
        var text = new StringBuilder();
        if (Vni is int vni)
        {
            text.Append(CultureInfo.InvariantCulture, $"vni={vni},");
        }

        text.Append(CultureInfo.InvariantCulture, $"local={Local}");
        foreach (IPAddress remote in Remotes)
        {
            text.Append(CultureInfo.InvariantCulture, $",remote={remote}");
        }

        if (DestinationPort != DefaultDestinationPort)
        {
            text.Append(CultureInfo.InvariantCulture, $",dstport={DestinationPort}");
        }

        if (Group is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $",group={Group}");
        }

        foreach (KeyValuePair<int, int> m in VlanMap.OrderBy(m => m.Key))
        {
            text.Append(CultureInfo.InvariantCulture, $",map={m.Key}:{m.Value}");
        }

        if (UnderlayMtu > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $",mtu={UnderlayMtu}");
        }

        if (!HashSourcePort)
        {
            text.Append(",srcport-hash=false");
        }

        return text.ToString();
    }

    private static VxlanPortOptions Add(VxlanPortOptions options, List<IPAddress> remotes, IPAddress remote)
    {
        remotes.Add(remote);
        return options;
    }

    private static VxlanPortOptions AddMap(VxlanPortOptions options, Dictionary<int, int> map, string value)
    {
        string[] pair = value.Split(':');
        if (pair.Length != 2 || !int.TryParse(pair[0], NumberStyles.None, CultureInfo.InvariantCulture, out int vid)
            || !int.TryParse(pair[1], NumberStyles.None, CultureInfo.InvariantCulture, out int vni) || !map.TryAdd(vid, vni))
        {
            throw new FormatException($"VXLAN map '{value}' is not VID:VNI (each VID once)");
        }

        return options;
    }

    private static int Number(string key, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : throw new FormatException($"VXLAN {key} '{value}' is not a number");

    private static IPAddress Address(string key, string value) =>
        IPAddress.TryParse(value, out IPAddress? address) ? address : throw new FormatException($"VXLAN {key} '{value}' is not an IP address");
}
