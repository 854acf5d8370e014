using static FastBridge.Switching.MacWords;

namespace FastBridge.Switching;

// Rebuilding the slot array: live resizes and compaction of tombstones.
public sealed partial class MacTable
{
    /// <summary>
    /// Changes the capacity live by rebuilding into a new array and swapping it in. Shrinking below
    /// <see cref="Count"/> keeps the static entries, then the most recently refreshed dynamic ones. Learns racing the
    /// swap may be lost (soft state); static entries never are. Throws when the static entries alone do not fit.
    /// </summary>
    public void Resize(int capacity)
    {
        ValidateCapacity(capacity);
        lock (_controlLock)
        {
            int statics = CountStatics(_store);
            if (statics > capacity)
            {
                throw new InvalidOperationException(
                    $"Cannot shrink the MAC table to {capacity} entries: it holds {statics} static entries. Remove some first.");
            }

            Rebuild(capacity);
        }
    }

    private static int CountStatics(MacStore store)
    {
        MacStore.Slot[] slots = store.Slots;
        int statics = 0;
        for (int i = 0; i < slots.Length; i++)
        {
            if (IsLiveKey(Volatile.Read(ref slots[i].Key)) && IsStatic(Volatile.Read(ref slots[i].Value)))
            {
                statics++;
            }
        }

        return statics;
    }

    private void CompactIfNeeded(MacStore store)
    {
        if (store.Tombstones > store.Slots.Length / 4)
        {
            Rebuild(store.Capacity);
        }
    }

    /// <summary>
    /// Copies the live entries into a fresh store of <paramref name="capacity"/> and swaps it in: statics first, then
    /// dynamic entries, freshest first when they do not all fit. Expired entries are dropped (and counted as aged),
    /// tombstones and duplicate copies vanish. Caller holds the control lock and has checked the statics fit.
    /// </summary>
    private void Rebuild(int capacity)
    {
        MacStore old = _store;
        MacStore.Slot[] slots = old.Slots;
        var fresh = new MacStore(capacity);
        uint now = Volatile.Read(ref _now);
        int aging = Volatile.Read(ref _agingSeconds);

        // Statics are written only under the lock we hold: this pass sees every one of them.
        int dynamics = 0;
        for (int i = 0; i < slots.Length; i++)
        {
            ulong key = Volatile.Read(ref slots[i].Key);
            ulong value = Volatile.Read(ref slots[i].Value);
            if (!IsLiveKey(key) || value == 0)
            {
                continue;
            }

            if (IsStatic(value))
            {
                fresh.AddUnpublished(key, value);
            }
            else
            {
                dynamics++;
            }
        }

        int room = capacity - fresh.Count;
        long aged = dynamics <= room ? CopyDynamics(slots, fresh, now, aging) : CopyFreshestDynamics(slots, fresh, now, aging, dynamics);
        Interlocked.Add(ref _agedTotal, aged);
        fresh.Eviction.Rescan();

        // Release: the filled array is visible before the reference to it.
        Volatile.Write(ref _store, fresh);
    }

    /// <summary>Copies the unexpired dynamic entries while there is room; returns how many expired ones it dropped.</summary>
    private static long CopyDynamics(MacStore.Slot[] slots, MacStore fresh, uint now, int aging)
    {
        long aged = 0;
        for (int i = 0; i < slots.Length && fresh.Count < fresh.Capacity; i++)
        {
            if (ReadFreshDynamic(ref slots[i], now, aging, ref aged, out ulong key, out ulong value))
            {
                fresh.AddUnpublished(key, value);
            }
        }

        return aged;
    }

    /// <summary>
    /// Reads one slot for a resize: true when it holds a dynamic entry still within its aging time; an expired one is
    /// counted in <paramref name="aged"/> and left behind, as are static entries (copied separately) and empty slots.
    /// </summary>
    private static bool ReadFreshDynamic(ref MacStore.Slot slot, uint now, int aging, ref long aged, out ulong key, out ulong value)
    {
        key = Volatile.Read(ref slot.Key);
        value = Volatile.Read(ref slot.Value);
        if (!IsLiveKey(key) || value == 0 || IsStatic(value))
        {
            return false;
        }

        if (IsExpired(value, now, aging))
        {
            aged++;
            return false;
        }

        return true;
    }

    /// <summary>Shrinking: keeps the most recently refreshed dynamic entries that fit.</summary>
    private static long CopyFreshestDynamics(MacStore.Slot[] slots, MacStore fresh, uint now, int aging, int estimate)
    {
        var ages = new List<long>(estimate);
        var keys = new List<ulong>(estimate);
        var values = new List<ulong>(estimate);
        long aged = 0;
        for (int i = 0; i < slots.Length; i++)
        {
            if (!ReadFreshDynamic(ref slots[i], now, aging, ref aged, out ulong key, out ulong value))
            {
                continue;
            }

            ages.Add((int)(now - StampOf(value)));
            keys.Add(key);
            values.Add(value);
        }

        int[] order = new int[ages.Count];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        Array.Sort(ages.ToArray(), order);
        for (int i = 0; i < order.Length && fresh.Count < fresh.Capacity; i++)
        {
            fresh.AddUnpublished(keys[order[i]], values[order[i]]);
        }

        return aged;
    }
}
