using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static FastBridge.Switching.MacWords;

namespace FastBridge.Switching;

/// <summary>
/// Fair eviction for a full <see cref="MacTable"/>: a new station evicts one dynamic entry of the port holding the
/// most entries, never one of a lighter port. One per <see cref="MacStore"/>, over that store's dynamic counts.
/// </summary>
/// <remarks>
/// <para>
/// <b>Design.</b> As in Open vSwitch, a new station that finds the table full evicts one dynamic entry of the port
/// holding the most entries, but only if that port holds more than the learning port: a port flooding random sources
/// becomes the heaviest and can then only push out its own entries, which it may not do either, so it gets
/// <see cref="LearnResult.TableFull"/> while every other port keeps learning at its expense. Finding the heaviest
/// port by scanning 4096 counts per full-table learn would be too slow under a flood, so the heaviest port is cached:
/// a port whose count grows past the cached one's takes its place (<see cref="NoteGrowth"/>, one extra read per new
/// station), and sweeps, flushes and rebuilds <see cref="Rescan"/>. The cache can go stale when the heaviest port's
/// entries are removed or evicted; since eviction also demands that the victim's port hold more entries than the
/// learner's, a stale cache can only make eviction pick a lighter heavy port or refuse, never let a port push out a
/// lighter one. A failed victim search nominates a heavier port it saw, so the cache also heals between sweeps. The
/// victim is found by probing at most <see cref="Probes"/> slots from a rotating cursor for a dynamic entry of that
/// port (or any expired dynamic entry), so a full-table learn costs a bounded, mostly sequential scan; when the
/// heaviest port holds only a small share of the table the search can miss, the learn answers
/// <see cref="LearnResult.TableFull"/>, and the next search looks at the next window. Static entries are never
/// evicted.
/// </para>
/// <para>
/// <b>Thread-safety.</b> Eviction makes learners removers too, alongside the one control-lock holder. Removal is a
/// compare-exchange of the value against the value judged (<see cref="MacStore.TryEvict"/>), so two removers of one
/// entry cannot both win; only the winner writes the tombstone and adjusts the counts. The evicted entry's unit of
/// <see cref="MacStore.Count"/> is handed to the new station instead of being released, so a full table stays exactly
/// full and no other learner can take the room in between. An evicter can hit a slot freed and reused by another
/// station with an identical value (the ABA race (2) in the remarks on <see cref="MacTable"/>); it then evicts that
/// station instead, which has the same port and so is an equally fair victim. The cache and the cursor are plain
/// racy words: two learners may both nominate a port or scan overlapping windows, which is harmless.
/// </para>
/// <para>
/// <b>Performance.</b> The cache and the cursor sit alone on their own 128-byte block, written only when a port
/// overtakes the heaviest one or a full table evicts, never on a refresh. A full table answers a flooding port after
/// one probe and a few reads, writing nothing.
/// </para>
/// </remarks>
internal sealed class FairEviction
{
    /// <summary>Most slots a full-table learn inspects for a victim: 64 slots, 1 KiB, 16 sequential cache lines.</summary>
    public const int Probes = 64;

    [StructLayout(LayoutKind.Explicit, Size = 128)]
    private struct PaddedState
    {
        /// <summary>Cached port holding the most dynamic entries (-1: none yet).</summary>
        [FieldOffset(64)]
        public int Heaviest;

        /// <summary>Where the next victim search starts; racy plain writes (two searches may overlap: harmless).</summary>
        [FieldOffset(68)]
        public int Cursor;
    }

    private readonly MacStore _store;
    private readonly PortCounts _counts;
    private PaddedState _state;

    public FairEviction(MacStore store)
    {
        _store = store;
        _counts = store.Dynamic;
        _state.Heaviest = -1;
    }

    /// <summary>The cached port holding the most dynamic entries (-1: none). May be stale; see the remarks.</summary>
    public int Heaviest => Volatile.Read(ref _state.Heaviest);

    /// <summary>Incremental upkeep of the cache: a port that just grew to <paramref name="count"/> entries past the
    /// cached one's takes its place.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void NoteGrowth(int port, int count)
    {
        int heaviest = Volatile.Read(ref _state.Heaviest);
        if (heaviest != port && (heaviest < 0 || count > _counts.Get(heaviest)))
        {
            Volatile.Write(ref _state.Heaviest, port);
        }
    }

    /// <summary>Rescans the counts for the heaviest port. Off the fast path (sweep, flush, rebuild).</summary>
    public void Rescan() => Volatile.Write(ref _state.Heaviest, _counts.FindHighest());

    /// <summary>True when the cached heaviest port is another port holding more dynamic entries than
    /// <paramref name="mine"/>, the learning port's count.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool MayEvictFor(int port, int mine)
    {
        int heaviest = Heaviest;
        return heaviest >= 0 && heaviest != port && _counts.Get(heaviest) > mine;
    }

    /// <summary>
    /// Evicts one dynamic entry of the heaviest port (or any expired dynamic entry) found within <see cref="Probes"/>
    /// slots of the rotating cursor, keeping its unit of <see cref="MacStore.Count"/> for the caller. False when
    /// <paramref name="port"/>, holding <paramref name="mine"/> dynamic entries, may not evict (it is the heaviest or
    /// ties) or no victim was found.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public bool TryEvictFor(int port, int mine, uint now, int aging)
    {
        if (!MayEvictFor(port, mine))
        {
            return false;
        }

        int heaviest = Heaviest;
        MacStore.Slot[] slots = _store.Slots;
        int mask = _store.Mask;
        int i = NextWindow();
        int seen = -1;
        for (int probes = 0; probes < Probes; probes++, i = (i + 1) & mask)
        {
            if (!IsLiveKey(Volatile.Read(ref slots[i].Key)))
            {
                continue;
            }

            ulong value = Volatile.Read(ref slots[i].Value);
            if (value == 0 || IsStatic(value))
            {
                continue;
            }

            int victimPort = PortOf(value);
            if (victimPort == heaviest || IsExpired(value, now, aging))
            {
                if (_store.TryEvict(i, value))
                {
                    return true;
                }
            }
            else if (victimPort != port)
            {
                seen = victimPort;
            }
        }

        // No victim: the cache may be stale (its port emptied by removals). Nominate a heavier port seen here.
        if (seen >= 0 && _counts.Get(seen) > _counts.Get(heaviest))
        {
            Volatile.Write(ref _state.Heaviest, seen);
        }

        return false;
    }

    /// <summary>Claims the next <see cref="Probes"/> slots for a victim search; returns the first.</summary>
    private int NextWindow()
    {
        int start = _state.Cursor;
        _state.Cursor = start + Probes;
        return start & _store.Mask;
    }
}
