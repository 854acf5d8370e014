using System.ComponentModel;
using System.Globalization;
using FastBridge.Cli.Commands;
using FastBridge.Control;
using FastBridge.Switching;
using Microsoft.Extensions.Configuration;

namespace FastBridge.Cli.Configuration;

/// <summary>
/// The settings of <c>fastbridge run</c>, bound by Microsoft.Extensions.Configuration's binder from the config file
/// with the command line on top (<see cref="RunConfiguration"/>), and checked once by <see cref="RunOptionsValidator"/>.
/// </summary>
/// <remarks>
/// Design: the members are the config file's, in its snake_case (<see cref="ConfigurationKeyNameAttribute"/>); a member
/// left out is null and takes the switch's default. The file's format is documented in README.md ("The config file").
/// </remarks>
internal sealed class RunOptions
{
    public string? Name { get; set; }

    public string? Control { get; set; }

    /// <summary>The file's <c>ports</c>, or the <c>--tap</c> names that replace them.</summary>
    public List<PortOptions>? Ports { get; set; }

    public List<MirrorOptions>? Mirrors { get; set; }

    public int? Aging { get; set; }

    [ConfigurationKeyName("max_macs")]
    public int? MaxMacs { get; set; }

    [ConfigurationKeyName("max_macs_per_port")]
    public int? MaxMacsPerPort { get; set; }

    public int? Workers { get; set; }

    [ConfigurationKeyName("storm_limit")]
    public int? StormLimit { get; set; }

    public string? Metrics { get; set; }

    public bool? Offloads { get; set; }

    /// <summary>VXLAN tunnel ports, each "NAME:vni=42,local=ADDR,remote=ADDR" as <c>run --vxlan</c> takes it.</summary>
    public List<string>? Vxlan { get; set; }

    /// <summary>The bridge these settings describe (members left out keep <see cref="BridgeOptions"/>' defaults).</summary>
    public BridgeOptions ToBridgeOptions()
    {
        var options = new BridgeOptions();
        options.Name = Name ?? options.Name;
        options.AgingSeconds = Aging ?? options.AgingSeconds;
        options.MaxMacs = MaxMacs ?? options.MaxMacs;
        options.MaxMacsPerPort = MaxMacsPerPort ?? options.MaxMacsPerPort;
        options.Workers = Workers ?? options.Workers;
        options.StormLimit = StormLimit ?? options.StormLimit;
        return options;
    }

    /// <summary>The port names of <c>ports</c>, in order.</summary>
    public string[] PortNames() => [.. (Ports ?? []).Select(p => p.Name ?? "")];

    /// <summary>The TAPs of <c>ports</c> (plain names and objects of kind tap), in order.</summary>
    public string[] TapNames() => [.. (Ports ?? []).Where(p => p.IsTap).Select(p => p.Name ?? "")];

    /// <summary>The interfaces of <c>ports</c> to attach as netdev ports, in order.</summary>
    public string[] NetdevNames() => [.. (Ports ?? []).Where(p => p.IsNetdev).Select(p => p.Name ?? "")];

    /// <summary>The vhost-user ports of <c>ports</c>, in order.</summary>
    public VhostUserPortConfig[] VhostUserPorts() =>
        [.. (Ports ?? []).Where(p => p.IsVhostUser).Select(p => new VhostUserPortConfig(p.Name ?? "", p.VhostUser!, p.Client == true))];

    /// <summary>The policies <c>ports</c> gives its ports, by name (ports given as plain names keep the default).</summary>
    public Dictionary<string, PortPolicy> PortPolicies()
    {
        var policies = new Dictionary<string, PortPolicy>(StringComparer.Ordinal);
        foreach (PortOptions port in Ports ?? [])
        {
            if (port.Policy() is { } info)
            {
                policies[port.Name ?? ""] = info.TryApply(PortPolicy.Default, out PortPolicy? policy, out string? error)
                    ? policy
                    : throw new InvalidOperationException($"port '{port.Name}': {error} (the validator lets no such port through)");
            }
        }

        return policies;
    }

    /// <summary>The mirrors of <c>mirrors</c>, in order.</summary>
    public List<Mirror> MirrorList() => [.. (Mirrors ?? []).Select(m => m.ToInfo().TryToMirror(out Mirror? mirror, out string? error)
        ? mirror
        : throw new InvalidOperationException($"{error} (the validator lets no such mirror through)"))];
}

/// <summary>
/// One entry of <c>ports</c>: a TAP name (<c>"tap0"</c>, read by <see cref="PortOptionsNameConverter"/>) or an object
/// with the name, the port's kind as the control protocol's <c>port-add</c> gives it (<c>"kind": "netdev"</c>;
/// <c>"vhost_user": PATH</c> with <c>"client"</c>) and its policy as <c>port-set</c> takes it.
/// </summary>
[TypeConverter(typeof(PortOptionsNameConverter))]
internal sealed class PortOptions
{
    public string? Name { get; set; }

    /// <summary>tap (the default) or netdev; a vhost-user port is given by <see cref="VhostUser"/>.</summary>
    public string? Kind { get; set; }

    /// <summary>A vhost-user port's socket path.</summary>
    [ConfigurationKeyName("vhost_user")]
    public string? VhostUser { get; set; }

    /// <summary>With <see cref="VhostUser"/>: connect to the VM's socket instead of creating it.</summary>
    public bool? Client { get; set; }

    public VlanOptions? Vlan { get; set; }

    public bool? Learning { get; set; }

    [ConfigurationKeyName("flood_unknown")]
    public bool? FloodUnknown { get; set; }

    [ConfigurationKeyName("flood_multicast")]
    public bool? FloodMulticast { get; set; }

    [ConfigurationKeyName("flood_broadcast")]
    public bool? FloodBroadcast { get; set; }

    public bool? Isolated { get; set; }

    public bool? Hairpin { get; set; }

    public bool IsNetdev => Kind == "netdev";

    public bool IsVhostUser => VhostUser is not null;

    public bool IsTap => !IsNetdev && !IsVhostUser;

    /// <summary>The policy members given for the port, as the control protocol takes them (null when none is given).</summary>
    public PortPolicyInfo? Policy() => Vlan is null && Learning is null && FloodUnknown is null && FloodMulticast is null
        && FloodBroadcast is null && Isolated is null && Hairpin is null ? null : new PortPolicyInfo
        {
            Vlan = Vlan is null ? null : new PortVlanInfo { Mode = Vlan.Mode, Access = Vlan.Access, Trunk = Vlan.Trunk, Native = Vlan.Native },
            Learning = Learning,
            FloodUnknown = FloodUnknown,
            FloodMulticast = FloodMulticast,
            FloodBroadcast = FloodBroadcast,
            Isolated = Isolated,
            Hairpin = Hairpin,
        };
}

/// <summary>A port object's <c>vlan</c>: <c>{"access": 10}</c>, <c>{"trunk": "10,20", "native": 1}</c> or <c>{"mode": "none"}</c>.</summary>
internal sealed class VlanOptions
{
    public string? Mode { get; set; }

    public int? Access { get; set; }

    public string? Trunk { get; set; }

    public int? Native { get; set; }
}

/// <summary>One entry of <c>mirrors</c>, as the control protocol's <c>mirror-add</c> takes it.</summary>
internal sealed class MirrorOptions
{
    public string? Name { get; set; }

    public List<string>? From { get; set; }

    public string? To { get; set; }

    public string? Direction { get; set; }

    public int? Vlan { get; set; }

    public MirrorInfo ToInfo() => new() { Name = Name, From = From, To = To, Direction = Direction, Vlan = Vlan };
}

/// <summary>
/// Lets the binder read a <c>ports</c> entry given as a plain string (<c>"tap0"</c>) as a port of that name: the
/// binder converts a value through its type's <see cref="TypeConverter"/> and binds an object's members otherwise.
/// </summary>
internal sealed class PortOptionsNameConverter : TypeConverter
{
    public override bool CanConvertFrom(ITypeDescriptorContext? context, Type sourceType) => sourceType == typeof(string);

    public override object? ConvertFrom(ITypeDescriptorContext? context, CultureInfo? culture, object value) =>
        new PortOptions { Name = (string)value };
}
