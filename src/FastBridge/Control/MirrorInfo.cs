using System.Diagnostics.CodeAnalysis;
using FastBridge.Switching;

namespace FastBridge.Control;

/// <summary>
/// A port mirror in JSON: <c>{"name": "ids", "from": ["tap1", "tap2"], "to": "tap9", "direction": "both", "vlan": 10}</c>
/// in a <c>mirror-add</c> request, in <c>mirror-list</c> responses (with <c>disabled</c> when its output port was
/// removed) and in the config file's <c>mirrors</c>.
/// </summary>
public sealed class MirrorInfo
{
    public string? Name { get; set; }

    /// <summary>The source ports.</summary>
    public List<string>? From { get; set; }

    /// <summary>The output port.</summary>
    public string? To { get; set; }

    /// <summary>rx, tx or both (the default).</summary>
    public string? Direction { get; set; }

    /// <summary>Only frames of this VLAN (1 to 4094); left out: every frame.</summary>
    public int? Vlan { get; set; }

    /// <summary>Responses: why the mirror copies nothing any more (its output port was removed).</summary>
    public string? Disabled { get; set; }

    /// <summary>Every member of <paramref name="mirror"/>, as responses show it.</summary>
    public static MirrorInfo Of(Mirror mirror)
    {
        ArgumentNullException.ThrowIfNull(mirror);
        return new MirrorInfo
        {
            Name = mirror.Name,
            From = [.. mirror.Sources],
            To = mirror.Output,
            Direction = mirror.Direction.ToString().ToLowerInvariant(),
            Vlan = mirror.Vlan == 0 ? null : mirror.Vlan,
            Disabled = mirror.Disabled,
        };
    }

    /// <summary>The mirror these members describe, or false with a one-line <paramref name="error"/> in the user's words.</summary>
    public bool TryToMirror([NotNullWhen(true)] out Mirror? mirror, [NotNullWhen(false)] out string? error)
    {
        mirror = null;
        if (string.IsNullOrWhiteSpace(Name))
        {
            error = "a mirror needs \"name\"";
            return false;
        }

        if (From is not { Count: > 0 } || From.Exists(string.IsNullOrWhiteSpace))
        {
            error = $"mirror '{Name}' needs \"from\": one or more source port names";
            return false;
        }

        if (string.IsNullOrWhiteSpace(To))
        {
            error = $"mirror '{Name}' needs \"to\": the output port's name";
            return false;
        }

        MirrorDirection? direction = Direction switch
        {
            null or "both" => MirrorDirection.Both,
            "rx" => MirrorDirection.Rx,
            "tx" => MirrorDirection.Tx,
            _ => null,
        };
        if (direction is null)
        {
            error = $"mirror '{Name}': \"direction\" must be rx, tx or both, not '{Direction}'";
            return false;
        }

        if (Vlan is { } vid && !VlanSet.IsValidVid(vid))
        {
            error = $"mirror '{Name}': VLAN {vid} is out of range ({VlanSet.MinVid} to {VlanSet.MaxVid})";
            return false;
        }

        mirror = new Mirror { Name = Name, Sources = [.. From], Output = To, Direction = direction.Value, Vlan = Vlan ?? 0 };
        error = null;
        return true;
    }
}
