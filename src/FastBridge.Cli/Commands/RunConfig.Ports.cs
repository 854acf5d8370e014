using System.Text.Json;
using System.Text.Json.Serialization;
using FastBridge.Control;
using FastBridge.Switching;

namespace FastBridge.Cli.Commands;

/// <summary>
/// One entry of the config file's <c>ports</c>: a name (<c>"tap0"</c>, as before) or an object with the name and the
/// port's policy, as the control protocol's <c>port-set</c> takes it:
/// <c>{"name": "tap0", "vlan": {"access": 10}, "isolated": true}</c>.
/// </summary>
[JsonConverter(typeof(PortConfigEntryConverter))]
internal sealed class PortConfigEntry
{
    public string Name { get; set; } = "";

    /// <summary>The policy members given for the port (null for a plain name).</summary>
    public PortPolicyInfo? Policy { get; set; }
}

/// <summary>The object form of a port in the config file.</summary>
internal sealed class PortConfigObject : PortPolicyInfo
{
    public string? Name { get; set; }
}

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

        PortConfigObject entry = JsonSerializer.Deserialize(ref reader, PortConfigJson.Default.PortConfigObject)
            ?? throw new JsonException("a port object must not be null");
        return new PortConfigEntry { Name = entry.Name ?? "", Policy = entry };
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
