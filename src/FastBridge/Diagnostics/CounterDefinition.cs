namespace FastBridge.Diagnostics;

/// <summary>
/// One entry of <see cref="CounterSchema"/>: a <see cref="Counter"/> or a <see cref="DropReason"/>, with every name an
/// output shows it under. Made from the member's attribute, never written by hand.
/// </summary>
public sealed class CounterDefinition
{
    internal CounterDefinition(int slot, Counter? counter, DropReason? reason, string name, CounterUnit unit, CounterScope scope,
        DropDirection drop, string description, CounterAttribute? options)
    {
        Slot = slot;
        Counter = counter;
        Reason = reason;
        Name = name;
        Unit = unit;
        Scope = scope;
        Drop = drop;
        Description = description;
        Column = options?.Column ?? false;
        Rate = options?.Rate ?? false;
        BridgeTotal = options?.BridgeTotal ?? false;
        MeterName = drop != DropDirection.None ? "port.drops"
            : options?.Meter ?? (scope == CounterScope.Port ? "port." + name.Replace('-', '.') : "mac." + name.Replace('-', '_'));
        RateHeader = name.Split('-')[0] + (unit == CounterUnit.Bytes ? "-B/s" : "/s");
    }

    /// <summary>Index in a <see cref="CounterBlock"/> and in <see cref="CounterValues"/>.</summary>
    public int Slot { get; }

    /// <summary>The counter, or null for a drop reason.</summary>
    public Counter? Counter { get; }

    /// <summary>The drop reason, or null for a counter.</summary>
    public DropReason? Reason { get; }

    /// <summary>The name in the CLI and docs (<c>rx-frames</c>, <c>storm-limit</c>).</summary>
    public string Name { get; }

    /// <summary>The member name in the control protocol's JSON (<c>rx_frames</c>); drop reasons keep <see cref="Name"/> inside <c>drops</c>.</summary>
    public string JsonName => Reason is null ? Name.Replace('-', '_') : Name;

    public CounterUnit Unit { get; }

    /// <summary>The unit as the meter states it (UCUM): <c>{frame}</c>, <c>By</c>, ...</summary>
    public string UnitSymbol => Unit switch
    {
        CounterUnit.Bytes => "By",
        CounterUnit.Frames => "{frame}",
        CounterUnit.Errors => "{error}",
        CounterUnit.Segments => "{segment}",
        _ => "{event}",
    };

    /// <summary>Drop reasons are per port.</summary>
    public CounterScope Scope { get; }

    public DropDirection Drop { get; }

    public string Description { get; }

    /// <summary>A column of the main table; the others are in the details table (drop reasons: the <c>drops</c> column).</summary>
    public bool Column { get; }

    /// <summary><c>stats --watch</c> shows a rate under <see cref="RateHeader"/> next to it.</summary>
    public bool Rate { get; }

    public string RateHeader { get; }

    /// <summary>A port counter also shown summed over all ports at bridge level (JSON <c>table</c>, the meter, the bridge line).</summary>
    public bool BridgeTotal { get; }

    /// <summary>The meter's instrument: <c>port.rx.frames</c>, <c>mac.flaps</c>; every drop reason is <c>port.drops</c> tagged by reason.</summary>
    public string MeterName { get; }

    /// <summary>The meter's bridge-level instrument (<c>mac.learned</c>, <c>flooded</c>), or null for a port-only counter.</summary>
    public string? BridgeMeterName => Scope == CounterScope.Bridge ? MeterName : BridgeTotal ? Name.Replace('-', '_') : null;

    /// <summary>True when the counter is shown at bridge level (bridge scope, or a port counter with a bridge total).</summary>
    public bool AtBridgeLevel => Scope == CounterScope.Bridge || BridgeTotal;

    public override string ToString() => Name;
}
