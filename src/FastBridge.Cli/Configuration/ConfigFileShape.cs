using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace FastBridge.Cli.Configuration;

/// <summary>
/// Checks the config file's form before it is bound: every member known (at the top, in a port object, in a mirror),
/// each holding the kind of value it must (a port a name or an object, a count a whole number), and says what is
/// wrong in the file's terms with the line and column. What the values mean is <see cref="RunOptionsValidator"/>'s.
/// </summary>
/// <remarks>
/// Design: the binder's own <c>ErrorOnUnknownConfiguration</c> is not used: it ignores
/// <see cref="ConfigurationKeyNameAttribute"/> (it calls <c>max_macs</c> unknown) and names .NET types in its errors.
/// A quoted number (<c>"aging": "300"</c>) is taken as the number, as configuration reads every value as text; a
/// number where text or a port belongs is refused, from the kind <see cref="JsonValueMap"/> remembers.
/// </remarks>
internal static class ConfigFileShape
{
    private enum Kind { Text, Whole, Flag, TextList, Ports, Mirrors, Vlan }

    /// <summary>The members of the file, what each must hold in the words of an error message, and its kind.</summary>
    private static readonly Dictionary<string, (string Expected, Kind Kind)> s_members = new(StringComparer.Ordinal)
    {
        ["name"] = ("a switch name (text)", Kind.Text),
        ["control"] = ("a socket path (text)", Kind.Text),
        ["ports"] = ("a list of TAP names, e.g. [\"tap0\", \"tap1\"], or port objects, e.g. {\"name\": \"tap1\", \"vlan\": {\"access\": 10}}, {\"name\": \"eth1\", \"kind\": \"netdev\"}, {\"name\": \"vm0\", \"vhost_user\": \"/run/vm0.sock\"}", Kind.Ports),
        ["mirrors"] = ("a list of mirrors, e.g. [{\"name\": \"ids\", \"from\": [\"tap1\"], \"to\": \"tap9\", \"direction\": \"both\"}]", Kind.Mirrors),
        ["aging"] = ("a whole number of seconds", Kind.Whole),
        ["max_macs"] = ("a whole number of entries", Kind.Whole),
        ["max_macs_per_port"] = ("a whole number of entries", Kind.Whole),
        ["workers"] = ("a whole number of threads", Kind.Whole),
        ["storm_limit"] = ("a whole number of frames per second", Kind.Whole),
        ["metrics"] = ("an ADDRESS:PORT (text)", Kind.Text),
        ["offloads"] = ("true or false", Kind.Flag),
        ["vxlan"] = ("a list of VXLAN ports, e.g. [\"vx0:vni=42,local=198.18.0.1,remote=198.18.0.2\"]", Kind.TextList),
    };

    /// <summary>The members a port object may have, as an error message lists them.</summary>
    public const string PortMembers = "name, kind (tap or netdev), vhost_user (a socket path), client, vlan, learning, flood_unknown, flood_multicast, flood_broadcast, isolated, hairpin";

    private static readonly Dictionary<string, Kind> s_portMembers = new(StringComparer.Ordinal)
    {
        ["name"] = Kind.Text,
        ["kind"] = Kind.Text,
        ["vhost_user"] = Kind.Text,
        ["client"] = Kind.Flag,
        ["vlan"] = Kind.Vlan,
        ["learning"] = Kind.Flag,
        ["flood_unknown"] = Kind.Flag,
        ["flood_multicast"] = Kind.Flag,
        ["flood_broadcast"] = Kind.Flag,
        ["isolated"] = Kind.Flag,
        ["hairpin"] = Kind.Flag,
    };

    private static readonly Dictionary<string, Kind> s_vlanMembers = new(StringComparer.Ordinal)
    {
        ["mode"] = Kind.Text,
        ["access"] = Kind.Whole,
        ["trunk"] = Kind.Text,
        ["native"] = Kind.Whole,
    };

    private static readonly Dictionary<string, Kind> s_mirrorMembers = new(StringComparer.Ordinal)
    {
        ["name"] = Kind.Text,
        ["from"] = Kind.TextList,
        ["to"] = Kind.Text,
        ["direction"] = Kind.Text,
        ["vlan"] = Kind.Whole,
    };

    /// <summary>Throws <see cref="ConfigFileFormException"/> ("is not valid: ...") at the first member of the wrong form.</summary>
    public static void Check(IConfiguration file, JsonValueMap json)
    {
        foreach (IConfigurationSection member in file.GetChildren())
        {
            if (!s_members.TryGetValue(member.Key, out var expected))
            {
                throw Invalid($"unknown setting \"{member.Key}\"{json.Where(member.Path)}; the settings are {string.Join(", ", s_members.Keys)}");
            }

            string? problem = expected.Kind switch
            {
                Kind.Ports => PortsProblem(member, json),
                Kind.Mirrors => ObjectsProblem(member, json, s_mirrorMembers, "a mirror", "name, from, to, direction, vlan"),
                _ => null,
            };
            if (problem is not null)
            {
                throw Invalid($"\"{member.Key}\": {problem}");
            }

            if (FirstMisfit(member, expected.Kind, json) is { } misfit)
            {
                throw Invalid($"\"{member.Key}\" must be {expected.Expected}{json.Where(misfit)}");
            }
        }
    }

    private static ConfigFileFormException Invalid(string reason) => new($"is not valid: {reason}");

    /// <summary>What is wrong inside a port object (an unknown member, a member of the wrong kind), or null.</summary>
    private static string? PortsProblem(IConfigurationSection ports, JsonValueMap json)
    {
        foreach (IConfigurationSection port in ports.GetChildren().Where(p => json.KindOf(p.Path) == JsonTokenType.StartObject))
        {
            foreach (IConfigurationSection member in port.GetChildren())
            {
                if (!s_portMembers.TryGetValue(member.Key, out Kind kind))
                {
                    return $"unknown member \"{member.Key}\" in a port object; a port object takes {PortMembers}{json.Where(member.Path)}";
                }

                if (kind == Kind.Vlan && json.KindOf(member.Path) == JsonTokenType.StartObject
                    && member.GetChildren().FirstOrDefault(m => !s_vlanMembers.ContainsKey(m.Key)) is { } unknown)
                {
                    return $"unknown member \"{unknown.Key}\" in a port's \"vlan\"; it takes {string.Join(", ", s_vlanMembers.Keys)}{json.Where(unknown.Path)}";
                }

                if (FirstMisfit(member, kind, json) is { } misfit)
                {
                    return $"a port object's \"{member.Key}\" holds the wrong type of value{json.Where(misfit)}";
                }
            }
        }

        return null;
    }

    /// <summary>The first unknown member of the objects listed in <paramref name="list"/>, said as a problem, or null.</summary>
    private static string? ObjectsProblem(IConfigurationSection list, JsonValueMap json, Dictionary<string, Kind> members, string what, string takes)
    {
        foreach (IConfigurationSection item in list.GetChildren().Where(p => json.KindOf(p.Path) == JsonTokenType.StartObject))
        {
            if (item.GetChildren().FirstOrDefault(m => !members.ContainsKey(m.Key)) is { } unknown)
            {
                return $"unknown member \"{unknown.Key}\" in {what}; {what} takes {takes}{json.Where(unknown.Path)}";
            }
        }

        return null;
    }

    /// <summary>The key of the first value in <paramref name="value"/> that is not of <paramref name="kind"/>, or null when it all fits.</summary>
    private static string? FirstMisfit(IConfigurationSection value, Kind kind, JsonValueMap json)
    {
        JsonTokenType token = json.KindOf(value.Path);
        if (token == JsonTokenType.Null)
        {
            return null; // as if left out
        }

        bool fits = kind switch
        {
            Kind.Text => token == JsonTokenType.String,
            Kind.Whole => token is JsonTokenType.Number or JsonTokenType.String
                && int.TryParse(value.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _),
            Kind.Flag => token is JsonTokenType.True or JsonTokenType.False or JsonTokenType.String && bool.TryParse(value.Value, out _),
            Kind.TextList or Kind.Ports or Kind.Mirrors or Kind.Vlan => token == (kind == Kind.Vlan ? JsonTokenType.StartObject : JsonTokenType.StartArray),
            _ => false,
        };
        if (!fits)
        {
            return value.Path;
        }

        return kind switch
        {
            Kind.TextList => FirstIn(value, child => FirstMisfit(child, Kind.Text, json)),
            Kind.Ports => FirstIn(value, child => json.KindOf(child.Path) is JsonTokenType.String or JsonTokenType.StartObject ? null : child.Path),
            Kind.Mirrors => FirstIn(value, child => json.KindOf(child.Path) != JsonTokenType.StartObject ? child.Path
                : FirstIn(child, member => FirstMisfit(member, s_mirrorMembers[member.Key], json))),
            Kind.Vlan => FirstIn(value, member => FirstMisfit(member, s_vlanMembers[member.Key], json)),
            _ => null,
        };
    }

    private static string? FirstIn(IConfigurationSection parent, Func<IConfigurationSection, string?> misfit)
    {
        foreach (IConfigurationSection child in parent.GetChildren())
        {
            if (misfit(child) is { } key)
            {
                return key;
            }
        }

        return null;
    }
}
