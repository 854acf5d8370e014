using System.Text.Json;
using System.Text.Json.Serialization;
using FastBridge.Control;
using FastBridge.Switching;

namespace FastBridge.Cli.Commands;

/// <summary>
/// One entry of the config file's <c>ports</c>: a TAP name (<c>"tap0"</c>) or an object with the name, the port's kind
/// as the control protocol's <c>port-add</c> gives it (<c>"kind": "netdev"</c>; <c>"vhost_user": PATH</c> with
/// <c>"client"</c>) and its policy as <c>port-set</c> takes it:
/// <c>{"name": "tap0", "vlan": {"access": 10}, "isolated": true}</c>, <c>{"name": "eth1", "kind": "netdev"}</c>,
/// <c>{"name": "vm0", "vhost_user": "/run/vm0.sock"}</c>.
/// </summary>
[JsonConverter(typeof(PortConfigEntryConverter))]
internal sealed class PortConfigEntry
{
    public string Name { get; set; } = "";

    /// <summary>The object's members (null for a plain name: a TAP with the default policy).</summary>
    public PortConfigObject? Object { get; set; }

    /// <summary>The policy members given for the port (null for a plain name).</summary>
    public PortPolicyInfo? Policy => Object;

    public bool IsNetdev => Object?.Kind == "netdev";

    public bool IsVhostUser => Object?.VhostUser is not null;

    public bool IsTap => !IsNetdev && !IsVhostUser;
}

/// <summary>The object form of a port in the config file.</summary>
internal sealed class PortConfigObject : PortPolicyInfo
{
    /// <summary>The members a port object may have, as an error message lists them.</summary>
    public const string Members = "name, kind (tap or netdev), vhost_user (a socket path), client, vlan, learning, flood_unknown, flood_multicast, flood_broadcast, isolated, hairpin";

    public string? Name { get; set; }

    /// <summary>tap (the default) or netdev; a vhost-user port is given by <see cref="VhostUser"/>.</summary>
    public string? Kind { get; set; }

    /// <summary>A vhost-user port's socket path.</summary>
    public string? VhostUser { get; set; }

    /// <summary>With <see cref="VhostUser"/>: connect to the VM's socket instead of creating it.</summary>
    public bool? Client { get; set; }
}

/// <summary>A port object the file got wrong, said in the port object's terms (its own path starts inside the object).</summary>
internal sealed class PortObjectException(string message, Exception inner) : JsonException(message, inner);

internal sealed class PortConfigEntryConverter : JsonConverter<PortConfigEntry>
{
    public override PortConfigEntry Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return new PortConfigEntry { Name = reader.GetString()! };
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException(); // no message: the serializer says "could not be converted" with the path, as RunConfig explains
        }

        PortConfigObject entry;
        try
        {
            entry = JsonSerializer.Deserialize(ref reader, PortConfigJson.Default.PortConfigObject)
                ?? throw new JsonException("a port object must not be null");
        }
        catch (JsonException e) when (e is not PortObjectException)
        {
            throw new PortObjectException(Explain(e), e);
        }

        return new PortConfigEntry { Name = entry.Name ?? "", Object = entry };
    }

    /// <summary>What is wrong inside a port object: an unknown member, or a member of the wrong type.</summary>
    private static string Explain(JsonException e)
    {
        string? member = e.Path is { Length: > 2 } p && p.StartsWith("$.", StringComparison.Ordinal) ? p[2..].Split('[', '.')[0] : null;
        if (member is null)
        {
            return "a port object is not well-formed";
        }

        return e.Message.Contains("could not be mapped", StringComparison.Ordinal)
            ? $"unknown member \"{member}\" in a port object; a port object takes {PortConfigObject.Members}"
            : $"a port object's \"{member}\" holds the wrong type of value";
    }

    public override void Write(Utf8JsonWriter writer, PortConfigEntry value, JsonSerializerOptions options) => writer.WriteStringValue(value.Name);
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true)]
[JsonSerializable(typeof(PortConfigObject))]
internal sealed partial class PortConfigJson : JsonSerializerContext;

internal sealed partial class RunConfig
{
    /// <summary>The port names of <c>ports</c>, in order.</summary>
    public string[] PortNames() => Ports is null ? [] : [.. Ports.Select(p => p.Name)];

    /// <summary>The TAPs of <c>ports</c> (plain names and objects of kind tap), in order.</summary>
    public string[] TapNames() => Ports is null ? [] : [.. Ports.Where(p => p.IsTap).Select(p => p.Name)];

    /// <summary>The interfaces of <c>ports</c> to attach as netdev ports, in order.</summary>
    public string[] NetdevNames() => Ports is null ? [] : [.. Ports.Where(p => p.IsNetdev).Select(p => p.Name)];

    /// <summary>The vhost-user ports of <c>ports</c>, in order.</summary>
    public VhostUserPortConfig[] VhostUserPorts() => Ports is null ? []
        : [.. Ports.Where(p => p.IsVhostUser).Select(p => new VhostUserPortConfig(p.Name, p.Object!.VhostUser!, p.Object.Client == true))];

    /// <summary>What makes no sense in a port object beyond its policy (an unknown kind, client without vhost_user), or null.</summary>
    private static string? CheckKind(PortConfigEntry port) => port.Object switch
    {
        { Kind: not (null or "tap" or "netdev") } o => $"port '{port.Name}': \"kind\" must be tap or netdev (not '{o.Kind}'); a vhost-user port is given by \"vhost_user\"",
        { Kind: not null, VhostUser: not null } => $"port '{port.Name}': \"kind\" and \"vhost_user\" do not go together",
        { Client: not null, VhostUser: null } => $"port '{port.Name}': \"client\" goes with \"vhost_user\"",
        { VhostUser: { Length: 0 } } => $"port '{port.Name}': \"vhost_user\" must be a socket path",
        _ => null,
    };

    /// <summary>
    /// The policies the file gives its ports, by name (ports given as plain names keep the default); throws
    /// <see cref="FormatException"/> naming the port whose policy makes no sense.
    /// </summary>
    public Dictionary<string, PortPolicy> PortPolicies(string path)
    {
        var policies = new Dictionary<string, PortPolicy>(StringComparer.Ordinal);
        foreach (PortConfigEntry port in Ports ?? [])
        {
            if (port.Policy is null)
            {
                continue;
            }

            if (!port.Policy.TryApply(PortPolicy.Default, out PortPolicy? policy, out string? error))
            {
                throw new FormatException($"config file '{path}': port '{port.Name}': {error}");
            }

            policies[port.Name] = policy;
        }

        return policies;
    }
}
