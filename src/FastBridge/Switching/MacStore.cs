using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static FastBridge.Switching.MacWords;

namespace FastBridge.Switching;

/// <summary>
/// One slot array of a <see cref="MacTable"/> with everything counted over it: the bounded live count, the per-port
/// counts and the fair-eviction state. A rebuild makes a new store and swaps it in whole, so the array, its mask and
/// its counts always travel together: learns lost with an old array are lost from its counts too.
/// </summary>
/// <remarks>
/// <para>
/// <b>Design.</b> Slots are {key, value} pairs (<see cref="MacWords"/>) in a power-of-two array at least twice
/// <see cref="Capacity"/> (load at most 0.5), probed linearly from a Fibonacci hash of the key. Each store counts its
/// dynamic entries per port, and separately its static ones (<see cref="PortCounts"/>): whoever wins the
/// compare-exchange that changes a slot's value adjusts the counts for exactly that change (a learner for a new
/// station or a move, a remover for a removal, a static write for an overwrite), so once the table is quiet the counts
/// add up to <see cref="Count"/> exactly; while it is busy they may be ahead by the new stations being learned.
/// </para>
/// <para>
/// <b>Thread-safety.</b> The slot protocol is described on <see cref="MacTable"/>. The store's own methods say who may
/// call them: <see cref="TryRemove"/> and <see cref="Tombstones"/> need the table's control lock, the rest are
/// lock-free.
/// </para>
/// <para>
/// <b>Performance.</b> The live count is the only counter every new station touches; it sits alone on a 128-byte
/// block (two lines, against adjacent-line prefetch), so refreshes and lookups, which only read the array fields, never
/// share a line with it.
/// </para>
/// </remarks>
internal sealed class MacStore
{
    /// <summary>One {key, value} pair: 16 bytes, four to a cache line.</summary>
    internal struct Slot
    {
        public ulong Key;
        public ulong Value;
    }

    /// <summary>The live-entry count alone on its own 128-byte block.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 128)]
    private struct PaddedCount
    {
        [FieldOffset(64)]
        public int Value;
    }

    public readonly Slot[] Slots;
    public readonly int Mask;
    public readonly int Capacity;
    private readonly int _shift;

    /// <summary>Dynamic entries per port (plus the new stations being learned on it): fairness and the cap.</summary>
    public readonly PortCounts Dynamic = new(allocateFirstChunk: true);

    /// <summary>Static entries per port; written only under the control lock.</summary>
    public readonly PortCounts Statics = new(allocateFirstChunk: false);

    /// <summary>Which port a full table takes a victim from, over this store's counts.</summary>
    public readonly FairEviction Eviction;

    private PaddedCount _live;

    /// <summary>Tombstones written since the last count; only touched under the control lock. An upper bound,
    /// since learners reuse tombstones without telling anyone.</summary>
    public int Tombstones;

    public MacStore(int capacity)
    {
        int length = (int)Math.Max(16u, BitOperations.RoundUpToPowerOf2((uint)capacity * 2));
        Slots = new Slot[length];
        Mask = length - 1;
        Capacity = capacity;
        _shift = 64 - BitOperations.Log2((uint)length);
        Eviction = new FairEviction(this);
    }

    public int Count => Volatile.Read(ref _live.Value);

    /// <summary>
    /// Counts one more dynamic entry (or reservation) on <paramref name="port"/> unless it holds
    /// <paramref name="limit"/> already (0: no limit); returns the count before, or -1 at the limit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int TryAddDynamic(int port, int limit)
    {
        int before = PortLearningLimit.TryAdmit(Dynamic, port, limit);
        if (before >= 0)
        {
            Eviction.NoteGrowth(port, before + 1);
        }

        return before;
    }

    /// <summary>Gives back one dynamic count of <paramref name="port"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void RemoveDynamic(int port) => Dynamic.Add(port, -1);

    /// <summary>Counts a published <paramref name="value"/> (static or dynamic) on its port.</summary>
    public void CountValue(ulong value, int delta)
    {
        if (IsStatic(value))
        {
            Statics.Add(PortOf(value), delta);
        }
        else if (delta > 0)
        {
            TryAddDynamic(PortOf(value), 0);
        }
        else
        {
            Dynamic.Add(PortOf(value), delta);
        }
    }

    /// <summary>Fibonacci hashing: multiply by 2^64/phi and keep the top bits; the fold first lets the VLAN and
    /// the last MAC bytes reach every bit of the product.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Home(ulong key) => (int)(((key ^ (key >> 32)) * 0x9E37_79B9_7F4A_7C15UL) >> _shift);

    /// <summary>Reserves room for one entry; false when the table is full. Reads before it writes, so a full
    /// table costs a shared read and no line bouncing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryReserve()
    {
        int live = Volatile.Read(ref _live.Value);
        while (live < Capacity)
        {
            int seen = Interlocked.CompareExchange(ref _live.Value, live + 1, live);
            if (seen == live)
            {
                return true;
            }

            live = seen;
        }

        return false;
    }

    public void Release() => Interlocked.Decrement(ref _live.Value);

    /// <summary>
    /// Removes the entry at <paramref name="index"/> if its value is still <paramref name="expected"/> (the value
    /// the caller judged). Caller holds the control lock, so it is the only remover besides evicting learners, and
    /// the compare-exchange on the value decides between them.
    /// </summary>
    public bool TryRemove(int index, ulong expected)
    {
        ref Slot slot = ref Slots[index];
        if (Interlocked.CompareExchange(ref slot.Value, 0, expected) != expected)
        {
            return false;
        }

        // Release: the cleared value is visible before the slot can be claimed again.
        Volatile.Write(ref slot.Key, TombstoneKey);
        CountValue(expected, -1);
        Interlocked.Decrement(ref _live.Value);
        Tombstones++;
        return true;
    }

    /// <summary>
    /// Fast-path removal of a dynamic victim: like <see cref="TryRemove"/> (the compare-exchange on the value is
    /// what makes a concurrent remover lose), but the victim's unit of <see cref="Count"/> is kept as the
    /// caller's reservation for the station replacing it, so no other learner can take the room in between.
    /// Leaves <see cref="Tombstones"/> alone (not atomic); the next sweep recounts.
    /// </summary>
    public bool TryEvict(int index, ulong expected)
    {
        ref Slot slot = ref Slots[index];
        if (Interlocked.CompareExchange(ref slot.Value, 0, expected) != expected)
        {
            return false;
        }

        Volatile.Write(ref slot.Key, TombstoneKey);
        RemoveDynamic(PortOf(expected));
        return true;
    }

    /// <summary>Adds an entry to a store not yet published (single-threaded); false if the key is there already.</summary>
    public bool AddUnpublished(ulong key, ulong value)
    {
        int i = Home(key);
        while (true)
        {
            ref Slot slot = ref Slots[i];
            if (slot.Key == key)
            {
                return false;
            }

            if (slot.Key == EmptyKey)
            {
                slot.Key = key;
                slot.Value = value;
                _live.Value++;
                CountValue(value, 1);
                return true;
            }

            i = (i + 1) & Mask;
        }
    }

    /// <summary>
    /// Index of the first copy of <paramref name="key"/> in probe order before <paramref name="index"/>, or -1 when
    /// the entry at <paramref name="index"/> is the first. No empty slot can lie between a key's home and the key
    /// in one array, so the walk ends at <paramref name="index"/>.
    /// </summary>
    public int EarlierCopy(int index, ulong key)
    {
        for (int i = Home(key); i != index; i = (i + 1) & Mask)
        {
            ulong k = Volatile.Read(ref Slots[i].Key);
            if (k == key)
            {
                return i;
            }

            if (k == EmptyKey)
            {
                return -1;
            }
        }

        return -1;
    }
}
