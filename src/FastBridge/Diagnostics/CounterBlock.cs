using System.Runtime.CompilerServices;

namespace FastBridge.Diagnostics;

/// <summary>
/// Counters of one port as seen by one worker: one slot per <see cref="CounterSchema"/> entry. Each worker writes only
/// its own blocks, with plain increments, so counting costs the dataplane no atomic operation and no shared cache
/// line; readers sum the blocks of all workers (a torn read is impossible for an aligned 64-bit element on a 64-bit
/// runtime, and a count read a little late is fine for statistics).
/// </summary>
/// <remarks>
/// Layout: one <c>long[]</c> with <see cref="PaddingSlots"/> unused elements (64 bytes) before and after the counters.
/// Array elements are contiguous and in index order — a guarantee of the runtime, unlike the order of a class's fields —
/// so whatever the allocator puts next to this array (another worker's block) is at least a cache line away from any
/// counter. <c>CounterBlockLayoutTests</c> checks the distances.
/// Performance: <c>block[Counter.Learned]++</c> is one add to a fixed offset (the slot base is a static readonly the
/// JIT folds to a constant) plus the array's bounds check.
/// </remarks>
internal sealed class CounterBlock
{
    /// <summary>Unused longs on each side of the counters: 64 bytes, one cache line.</summary>
    internal const int PaddingSlots = 8;

    private readonly long[] _slots = new long[PaddingSlots + CounterSchema.SlotCount + PaddingSlots];

    /// <summary>The counter's slot, to increment (<c>block[Counter.TxFrames]++</c>) or read with <see cref="Volatile"/>.</summary>
    public ref long this[Counter counter]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => ref _slots[PaddingSlots + CounterSchema.CounterBase + (int)counter];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Drop(DropReason reason) => _slots[PaddingSlots + (int)reason]++;

    /// <summary>The drop reason's slot.</summary>
    public ref long Dropped(DropReason reason) => ref _slots[PaddingSlots + (int)reason];

    /// <summary>Reads slot <paramref name="slot"/> of <see cref="CounterSchema"/> (any thread).</summary>
    public long Read(int slot) => Volatile.Read(ref _slots[PaddingSlots + slot]);

    /// <summary>The whole array, padding included (layout tests).</summary>
    internal long[] Storage => _slots;
}
