using System.Reflection;

namespace FastBridge.Diagnostics;

/// <summary>
/// Every counter of the bridge, read once from the attributes of <see cref="Counter"/> and <see cref="DropReason"/>:
/// the list the per-worker blocks, the snapshots, the JSON, the CLI table, the demo and the meter are views of (VPP's
/// <c>foreach_l2learn_error</c> is the model).
/// </summary>
/// <remarks>
/// Slots: drop reasons first, at their enum value (slot 0, <see cref="DropReason.None"/>, stays unused), then the
/// counters from <see cref="CounterBase"/>. A missing attribute or a name used twice fails at type initialization,
/// which every test that counts anything would show.
/// </remarks>
public static class CounterSchema
{
    private static readonly CounterDefinition[] s_counters;
    private static readonly CounterDefinition[] s_drops;
    private static readonly CounterDefinition[] s_all;

    /// <summary>The slot of the first <see cref="Counter"/> (after every drop reason).</summary>
    internal static int CounterBase { get; } = DropReasons.Count;

    /// <summary>Slots in a block or a snapshot.</summary>
    internal static int SlotCount { get; }

    static CounterSchema()
    {
        Counter[] counters = Enum.GetValues<Counter>();
        s_counters = new CounterDefinition[counters.Length];
        for (int i = 0; i < counters.Length; i++)
        {
            CounterAttribute a = Attribute<CounterAttribute>(counters[i]);
            if ((int)counters[i] != i)
            {
                throw new InvalidOperationException($"Counter.{counters[i]} must be numbered {i}: members are slots");
            }

            s_counters[i] = new CounterDefinition(DropReasons.Count + i, counters[i], null, a.Name, a.Unit, a.Scope, DropDirection.None, a.Description, a);
        }

        DropReason[] reasons = Enum.GetValues<DropReason>();
        s_drops = new CounterDefinition[reasons.Length - 1];
        for (int r = 1; r < reasons.Length; r++)
        {
            DropAttribute a = Attribute<DropAttribute>(reasons[r]);
            s_drops[r - 1] = new CounterDefinition((int)reasons[r], null, reasons[r], a.Name, CounterUnit.Frames, CounterScope.Port, a.Direction, a.Description, null);
        }

        s_all = [.. s_counters, .. s_drops];
        SlotCount = DropReasons.Count + counters.Length;
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (CounterDefinition d in s_all)
        {
            if (!names.Add(d.Name))
            {
                throw new InvalidOperationException($"counter name '{d.Name}' is defined twice");
            }
        }
    }

    /// <summary>The counters (not drop reasons), in <see cref="Counter"/> order.</summary>
    public static IReadOnlyList<CounterDefinition> Counters => s_counters;

    /// <summary>The drop reasons, in <see cref="DropReason"/> order, without <see cref="DropReason.None"/>.</summary>
    public static IReadOnlyList<CounterDefinition> Drops => s_drops;

    /// <summary>Counters, then drop reasons.</summary>
    public static IReadOnlyList<CounterDefinition> All => s_all;

    public static CounterDefinition Of(Counter counter) => s_counters[(int)counter];

    /// <summary>The definition of a drop reason; null for <see cref="DropReason.None"/> or a number outside the enum.</summary>
    public static CounterDefinition? Of(DropReason reason) => (uint)(reason - 1) < (uint)s_drops.Length ? s_drops[(int)reason - 1] : null;

    /// <summary>The counter or drop reason named <paramref name="name"/> (CLI or JSON spelling), or null.</summary>
    public static CounterDefinition? Find(string name)
    {
        foreach (CounterDefinition d in s_all)
        {
            if (d.Name == name || d.JsonName == name)
            {
                return d;
            }
        }

        return null;
    }

    private static T Attribute<T>(Enum member)
        where T : Attribute =>
        member.GetType().GetField(member.ToString())?.GetCustomAttribute<T>()
        ?? throw new InvalidOperationException($"{member.GetType().Name}.{member} has no [{typeof(T).Name[..^9]}] definition");
}
