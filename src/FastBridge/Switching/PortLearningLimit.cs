using System.Runtime.CompilerServices;

namespace FastBridge.Switching;

/// <summary>
/// The per-port learning limit of a <see cref="MacTable"/>: a port holding <see cref="Max"/> dynamic entries learns
/// no new station (<see cref="LearnResult.PortLimit"/>); 0, the default, means no limit.
/// </summary>
/// <remarks>
/// <para>
/// <b>Design.</b> Like the Linux bridge's learning limit (<c>fdb_max_learned</c>, default 0 = unlimited), but per
/// port rather than per bridge, so one port flooding random sources cannot fill the table while the others keep
/// learning. Only new stations count against it (<see cref="CapFor"/>): an entry that expired and is taken over by
/// another port is a new station there, but a move of a live station onto the port is never refused (as in the Linux
/// bridge), since refusing would leave it pointing at the port it left; so a port can exceed its limit through moves.
/// Static entries do not count, and lowering the limit removes nothing.
/// </para>
/// <para>
/// <b>Thread-safety.</b> <see cref="Max"/> is one word, read with acquire on each new station; a change takes effect
/// on the next learn. <see cref="TryAdmit"/> is a bounded compare-exchange on the port's count, taken before the
/// station's slot is claimed, so concurrent learners on one port cannot overshoot the limit.
/// </para>
/// <para>
/// <b>Performance.</b> Costs nothing on a refresh. A port at its limit is refused after reads only
/// (<see cref="Refuses"/>), so a flooding port dirties no shared cache line.
/// </para>
/// </remarks>
internal sealed class PortLearningLimit
{
    private int _max;

    /// <summary>Most dynamic entries one port may learn; 0 means no limit.</summary>
    public int Max
    {
        get => Volatile.Read(ref _max);
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            Volatile.Write(ref _max, value);
        }
    }

    /// <summary>The limit a learn on a port must respect: <see cref="Max"/> for a new station (including an expired
    /// entry taken over), 0 (none) for a move of a live station.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int CapFor(bool newStation) => newStation ? Max : 0;

    /// <summary>True when a port holding <paramref name="count"/> dynamic entries is at <paramref name="cap"/>
    /// (0: no limit). Reads only.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Refuses(int count, int cap) => cap > 0 && count >= cap;

    /// <summary>
    /// Counts one more dynamic entry on <paramref name="port"/> in <paramref name="counts"/> unless it holds
    /// <paramref name="cap"/> already (0: no limit). Returns the count before, or -1 at the limit, having only read.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int TryAdmit(PortCounts counts, int port, int cap) => counts.TryIncrement(port, cap);
}
