using FastBridge.Frames;
using static FastBridge.Switching.MacWords;

namespace FastBridge.Switching;

// Control-plane edits and snapshots: static entries, removals, flushes, fdb show.
public sealed partial class MacTable
{
    /// <summary>
    /// Adds a static entry (never ages, never moved by learning), replacing any entry for that station. False only
    /// when the station is new and the table is full. Control plane; may run alongside the dataplane.
    /// </summary>
    public bool AddStatic(MacAddress mac, ushort vlan, int port)
    {
        ValidatePort(port);
        ValidateVlan(vlan);
        ulong key = MakeKey(mac.Value, vlan);
        lock (_controlLock)
        {
            MacStore store = _store;
            MacStore.Slot[] slots = store.Slots;
            ulong value = MakeValue(port, Volatile.Read(ref _now), isStatic: true);
            bool reserved = false;
            while (true)
            {
                int found = -1;
                int free = -1;
                ulong freeKey = EmptyKey;
                int i = store.Home(key);
                for (int probes = 0; probes <= store.Mask; probes++, i = (i + 1) & store.Mask)
                {
                    ulong k = Volatile.Read(ref slots[i].Key);
                    if (k == key)
                    {
                        found = i;
                        break;
                    }

                    if (k == EmptyKey)
                    {
                        if (free < 0)
                        {
                            free = i;
                        }

                        break;
                    }

                    if (k == TombstoneKey && free < 0)
                    {
                        free = i;
                        freeKey = TombstoneKey;
                    }
                }

                if (found >= 0)
                {
                    if (!Overwrite(store, found, key, value))
                    {
                        continue; // evicted under us: probe again
                    }

                    if (reserved)
                    {
                        store.Release();
                    }

                    RemoveLaterCopies(store, found, key);
                    CompactIfNeeded(store);
                    return true;
                }

                if (free < 0 || (!reserved && !store.TryReserve()))
                {
                    if (reserved)
                    {
                        store.Release();
                    }

                    return false;
                }

                reserved = true;
                if (Interlocked.CompareExchange(ref slots[free].Key, key, freeKey) == freeKey)
                {
                    Volatile.Write(ref slots[free].Value, value);
                    store.CountValue(value, 1);
                    return true;
                }
            }
        }
    }

    /// <summary>Removes the entry for a station, static or dynamic. False when there was none.</summary>
    public bool Remove(MacAddress mac, ushort vlan)
    {
        ulong key = MakeKey(mac.Value, vlan);
        lock (_controlLock)
        {
            MacStore store = _store;
            bool removed = false;
            int i = store.Home(key);
            for (int probes = 0; probes <= store.Mask; probes++, i = (i + 1) & store.Mask)
            {
                ulong k = Volatile.Read(ref store.Slots[i].Key);
                if (k == EmptyKey)
                {
                    break;
                }

                // Every copy goes (see the duplicate race in the remarks), so keep walking the chain.
                if (k == key)
                {
                    removed |= RemoveSlot(store, i);
                }
            }

            CompactIfNeeded(store);
            return removed;
        }
    }

    /// <summary>
    /// Removes the entries on <paramref name="port"/> (-1: on every port), dynamic ones only unless
    /// <paramref name="includeStatic"/>. Returns how many were removed.
    /// </summary>
    public int Flush(int port = -1, bool includeStatic = false)
    {
        if (port != -1)
        {
            ValidatePort(port);
        }

        lock (_controlLock)
        {
            MacStore store = _store;
            MacStore.Slot[] slots = store.Slots;
            int removed = 0;
            for (int i = 0; i < slots.Length; i++)
            {
                if (!IsLiveKey(Volatile.Read(ref slots[i].Key)))
                {
                    continue;
                }

                while (true)
                {
                    ulong value = Volatile.Read(ref slots[i].Value);
                    if (value == 0 || (!includeStatic && IsStatic(value)) || (port >= 0 && PortOf(value) != port))
                    {
                        break;
                    }

                    if (store.TryRemove(i, value))
                    {
                        removed++;
                        break;
                    }
                }
            }

            store.Eviction.Rescan();
            CompactIfNeeded(store);
            return removed;
        }
    }

    /// <summary>Removes every entry of <paramref name="port"/>, static ones too: the port left the bridge.</summary>
    public int RemovePort(int port)
    {
        ValidatePort(port);
        return Flush(port, includeStatic: true);
    }

    /// <summary>
    /// Appends a snapshot of the live entries to <paramref name="into"/> (<c>fdb show</c>): expired dynamic entries
    /// and duplicate copies are left out. Entries learned meanwhile may or may not appear.
    /// </summary>
    public void CopyTo(List<MacEntry> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        lock (_controlLock)
        {
            MacStore store = _store;
            MacStore.Slot[] slots = store.Slots;
            uint now = Volatile.Read(ref _now);
            int aging = Volatile.Read(ref _agingSeconds);
            for (int i = 0; i < slots.Length; i++)
            {
                ulong key = Volatile.Read(ref slots[i].Key);
                if (!IsLiveKey(key))
                {
                    continue;
                }

                ulong value = Volatile.Read(ref slots[i].Value);
                if (value == 0 || IsExpired(value, now, aging) || store.EarlierCopy(i, key) >= 0)
                {
                    continue;
                }

                int age = Math.Max(0, (int)(now - StampOf(value)));
                into.Add(new MacEntry(MacOf(key), VlanOf(key), PortOf(value), IsStatic(value), age));
            }
        }
    }

    /// <summary>
    /// Replaces the value of the live entry for <paramref name="key"/> at <paramref name="index"/> and moves its count.
    /// Caller holds the lock; a learner may still evict the entry under it (see the remarks), so false when the slot
    /// no longer holds <paramref name="key"/> and the caller must probe again.
    /// </summary>
    private static bool Overwrite(MacStore store, int index, ulong key, ulong value)
    {
        ref MacStore.Slot slot = ref store.Slots[index];
        SpinWait spin = default;
        while (true)
        {
            ulong old = Volatile.Read(ref slot.Value);
            if (Volatile.Read(ref slot.Key) != key)
            {
                return false;
            }

            if (old == 0)
            {
                spin.SpinOnce(); // a learner is publishing its value, or an evicter is about to write the tombstone
                continue;
            }

            if (Interlocked.CompareExchange(ref slot.Value, value, old) == old)
            {
                store.CountValue(old, -1);
                store.CountValue(value, 1);
                return true;
            }
        }
    }

    private static bool RemoveSlot(MacStore store, int index)
    {
        while (true)
        {
            ulong value = Volatile.Read(ref store.Slots[index].Value);
            if (value == 0)
            {
                return false; // still being published: it counts as learned after this removal
            }

            if (store.TryRemove(index, value))
            {
                return true;
            }
        }
    }

    private static void RemoveLaterCopies(MacStore store, int first, ulong key)
    {
        for (int i = (first + 1) & store.Mask; i != first; i = (i + 1) & store.Mask)
        {
            ulong k = Volatile.Read(ref store.Slots[i].Key);
            if (k == EmptyKey)
            {
                return;
            }

            if (k == key)
            {
                RemoveSlot(store, i);
            }
        }
    }

    private static void ValidatePort(int port)
    {
        if ((uint)port > MaxPort)
        {
            ThrowHelper.ThrowPortOutOfRange(port);
        }
    }

    private static void ValidateVlan(ushort vlan) =>
        ArgumentOutOfRangeException.ThrowIfGreaterThan(vlan, MaxVlan);
}
