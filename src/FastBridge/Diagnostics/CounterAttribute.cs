namespace FastBridge.Diagnostics;

/// <summary>Whether a counter describes one port or the whole bridge.</summary>
public enum CounterScope
{
    /// <summary>Shown per port (a column or a detail of each port).</summary>
    Port,

    /// <summary>Shown once for the bridge: the sum over every port's blocks (MAC table events, say).</summary>
    Bridge,
}

/// <summary>What a counter counts; <see cref="CounterDefinition.UnitSymbol"/> is its UCUM form for the meter.</summary>
public enum CounterUnit
{
    Frames,
    Bytes,
    Events,
    Errors,
    Segments,
}

/// <summary>Where a drop reason applies: to a received frame as a whole, or to one copy towards one output port.</summary>
public enum DropDirection
{
    /// <summary>Not a drop reason.</summary>
    None,

    Ingress,

    Egress,
}

/// <summary>
/// The one definition of a <see cref="Counter"/>: its name as shown by the CLI (and, with <c>_</c> for <c>-</c>, in the
/// control protocol's JSON), its unit, scope and description. Every output is derived from it (docs/counters.md).
/// </summary>
[AttributeUsage(AttributeTargets.Field, AllowMultiple = false)]
public sealed class CounterAttribute(string name, CounterUnit unit, CounterScope scope, string description) : Attribute
{
    public string Name { get; } = name;

    public CounterUnit Unit { get; } = unit;

    public CounterScope Scope { get; } = scope;

    public string Description { get; } = description;

    /// <summary>A column of the main counter table (else it is in the details table).</summary>
    public bool Column { get; init; }

    /// <summary><c>stats --watch</c> shows a per-second rate next to it.</summary>
    public bool Rate { get; init; }

    /// <summary>A port counter that is also shown summed over all ports, at bridge level, under the same name.</summary>
    public bool BridgeTotal { get; init; }

    /// <summary>The meter instrument's name when the default (<c>port.rx.frames</c>, <c>mac.table_full</c>) does not fit.</summary>
    public string? Meter { get; init; }
}

/// <summary>The one definition of a <see cref="DropReason"/>: its name (CLI, JSON, meter tag), direction and description.</summary>
[AttributeUsage(AttributeTargets.Field, AllowMultiple = false)]
public sealed class DropAttribute(string name, DropDirection direction, string description) : Attribute
{
    public string Name { get; } = name;

    public DropDirection Direction { get; } = direction;

    public string Description { get; } = description;
}
