using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FastBridge.Switching;

public sealed partial class MacTable
{
    /// <summary>One {key, value} pair: 16 bytes, four to a cache line.</summary>
    private struct Slot
    {
        public ulong Key;
        public ulong Value;
    }

    /// <summary>The live-entry count alone on its own 128-byte block (two lines, against adjacent-line prefetch).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 128)]
    private struct PaddedCount
    {
        [FieldOffset(64)]
        public int Value;
    }

    /// <summary>
    /// One slot array with its bounded live count. A rebuild makes a new store and swaps it in whole, so the array,
    /// its mask and its count always travel together.
    /// </summary>
    private sealed class Store
    {
        public readonly Slot[] Slots;
        public readonly int Mask;
        public readonly int Capacity;
        private readonly int _shift;
        private PaddedCount _live;

        /// <summary>Tombstones written since the last count; only touched under the control lock. An upper bound,
        /// since learners reuse tombstones without telling anyone.</summary>
        public int Tombstones;

        public Store(int capacity)
        {
            int length = (int)Math.Max(16u, BitOperations.RoundUpToPowerOf2((uint)capacity * 2));
            Slots = new Slot[length];
            Mask = length - 1;
            Capacity = capacity;
            _shift = 64 - BitOperations.Log2((uint)length);
        }

        public int Count => Volatile.Read(ref _live.Value);

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
        /// the caller judged). Caller holds the control lock, so it is the only remover and the key cannot change.
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
            Interlocked.Decrement(ref _live.Value);
            Tombstones++;
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
}
