using FastBridge.Frames;

namespace FastBridge.Switching;

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
            Store store = _store;
            Slot[] slots = store.Slots;
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
            Store store = _store;
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
            Store store = _store;
            Slot[] slots = store.Slots;
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

            store.RefreshHeaviest();
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
            Store store = _store;
            Slot[] slots = store.Slots;
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

    /// <summary>Number of slots holding a live key (a test hook: it must match <see cref="Count"/> when quiet).</summary>
    internal int CountLiveSlots()
    {
        Slot[] slots = Volatile.Read(ref _store).Slots;
        int live = 0;
        for (int i = 0; i < slots.Length; i++)
        {
            if (IsLiveKey(Volatile.Read(ref slots[i].Key)))
            {
                live++;
            }
        }

        return live;
    }

    /// <summary>
    /// Test hook: plants a second copy of a station at the end of its probe chain, as the duplicate race in the
    /// remarks would, so tests can check that lookups use the first copy and <see cref="Sweep"/> repairs it.
    /// </summary>
    internal void AddDuplicateForTests(MacAddress mac, ushort vlan, int port, bool isStatic)
    {
        ulong key = MakeKey(mac.Value, vlan);
        lock (_controlLock)
        {
            Store store = _store;
            if (!store.TryReserve())
            {
                throw new InvalidOperationException("The table is full.");
            }

            int i = store.Home(key);
            while (Volatile.Read(ref store.Slots[i].Key) != EmptyKey)
            {
                i = (i + 1) & store.Mask;
            }

            store.Slots[i].Key = key;
            ulong value = MakeValue(port, Volatile.Read(ref _now), isStatic);
            Volatile.Write(ref store.Slots[i].Value, value);
            store.CountValue(value, 1);
        }
    }

    /// <summary>
    /// Replaces the value of the live entry for <paramref name="key"/> at <paramref name="index"/> and moves its count.
    /// Caller holds the lock; a learner may still evict the entry under it (see the remarks), so false when the slot
    /// no longer holds <paramref name="key"/> and the caller must probe again.
    /// </summary>
    private static bool Overwrite(Store store, int index, ulong key, ulong value)
    {
        ref Slot slot = ref store.Slots[index];
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

    private static bool RemoveSlot(Store store, int index)
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

    private static void RemoveLaterCopies(Store store, int first, ulong key)
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

    private static int CountStatics(Store store)
    {
        Slot[] slots = store.Slots;
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

    private void CompactIfNeeded(Store store)
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
        Store old = _store;
        Slot[] slots = old.Slots;
        var fresh = new Store(capacity);
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
        fresh.RefreshHeaviest();

        // Release: the filled array is visible before the reference to it.
        Volatile.Write(ref _store, fresh);
    }

    /// <summary>Copies the unexpired dynamic entries while there is room; returns how many expired ones it dropped.</summary>
    private static long CopyDynamics(Slot[] slots, Store fresh, uint now, int aging)
    {
        long aged = 0;
        for (int i = 0; i < slots.Length && fresh.Count < fresh.Capacity; i++)
        {
            ulong key = Volatile.Read(ref slots[i].Key);
            ulong value = Volatile.Read(ref slots[i].Value);
            if (!IsLiveKey(key) || value == 0 || IsStatic(value))
            {
                continue;
            }

            if (IsExpired(value, now, aging))
            {
                aged++;
            }
            else
            {
                fresh.AddUnpublished(key, value);
            }
        }

        return aged;
    }

    /// <summary>Shrinking: keeps the most recently refreshed dynamic entries that fit.</summary>
    private static long CopyFreshestDynamics(Slot[] slots, Store fresh, uint now, int aging, int estimate)
    {
        var ages = new List<long>(estimate);
        var keys = new List<ulong>(estimate);
        var values = new List<ulong>(estimate);
        long aged = 0;
        for (int i = 0; i < slots.Length; i++)
        {
            ulong key = Volatile.Read(ref slots[i].Key);
            ulong value = Volatile.Read(ref slots[i].Value);
            if (!IsLiveKey(key) || value == 0 || IsStatic(value))
            {
                continue;
            }

            if (IsExpired(value, now, aging))
            {
                aged++;
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
