using static FastBridge.Switching.MacWords;

namespace FastBridge.Switching;

public sealed partial class MacTable
{
    /// <summary>
    /// Seconds a dynamic entry lives after it was last learned; 0 means never. Takes effect on the next lookup and
    /// sweep. Stamps are refreshed whatever this is, so turning aging on later expires nothing that is still active.
    /// </summary>
    public int AgingSeconds
    {
        get => Volatile.Read(ref _agingSeconds);
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            Volatile.Write(ref _agingSeconds, value);
        }
    }

    /// <summary>The coarse seconds the dataplane stamps with (advanced by <see cref="Tick"/>): a port kind that keeps a table of its own ages it on the same clock.</summary>
    internal uint NowSeconds => Volatile.Read(ref _now);

    /// <summary>Dynamic entries removed because they expired, since creation.</summary>
    public long AgedTotal => Interlocked.Read(ref _agedTotal);

    /// <summary>
    /// Reads the clock and advances the coarse seconds the dataplane stamps with. Call about once a second from the
    /// housekeeping thread. The clock never goes backwards: a wall-clock step back holds it still instead.
    /// </summary>
    public void Tick()
    {
        double elapsed = (_time.GetUtcNow() - _origin).TotalSeconds;
        uint seconds = elapsed <= 0 ? 0 : elapsed >= uint.MaxValue ? uint.MaxValue : (uint)elapsed;
        uint now = Volatile.Read(ref _now);
        while (seconds > now)
        {
            uint seen = Interlocked.CompareExchange(ref _now, seconds, now);
            if (seen == now)
            {
                return;
            }

            now = seen;
        }
    }

    /// <summary>
    /// Removes expired dynamic entries and returns how many. Also repairs what lock-free learning can leave behind:
    /// removes later duplicate copies of a key (keeping the first in probe order, or a static copy over a dynamic one),
    /// and rebuilds the array when tombstones exceed a quarter of the slots. Off the fast path; one thread.
    /// </summary>
    public int Sweep()
    {
        lock (_controlLock)
        {
            MacStore store = _store;
            MacStore.Slot[] slots = store.Slots;
            uint now = Volatile.Read(ref _now);
            int aging = Volatile.Read(ref _agingSeconds);
            int expired = 0;
            int tombstones = 0;
            for (int i = 0; i < slots.Length; i++)
            {
                ulong key = Volatile.Read(ref slots[i].Key);
                if (key == TombstoneKey)
                {
                    tombstones++;
                    continue;
                }

                if (!IsLiveKey(key))
                {
                    continue;
                }

                while (true)
                {
                    ulong value = Volatile.Read(ref slots[i].Value);
                    if (value == 0)
                    {
                        break; // a learner is publishing it
                    }

                    if (IsExpired(value, now, aging))
                    {
                        if (!store.TryRemove(i, value))
                        {
                            continue; // refreshed in between: judge again
                        }

                        expired++;
                        tombstones++;
                    }
                    else if (RemoveIfDuplicate(store, i, key, value))
                    {
                        tombstones++;
                    }

                    break;
                }
            }

            store.Tombstones = tombstones;
            Interlocked.Add(ref _agedTotal, expired);
            store.Eviction.Rescan();
            CompactIfNeeded(store);
            return expired;
        }
    }

    /// <summary>
    /// When the entry at <paramref name="index"/> has an earlier copy in its probe chain (the benign race in the
    /// remarks), removes the later one, unless only the later one is static. True when slot <paramref name="index"/>
    /// itself was removed. Caller holds the control lock.
    /// </summary>
    private static bool RemoveIfDuplicate(MacStore store, int index, ulong key, ulong value)
    {
        int first = store.EarlierCopy(index, key);
        if (first < 0)
        {
            return false;
        }

        ulong firstValue = Volatile.Read(ref store.Slots[first].Value);
        if (firstValue == 0)
        {
            return false; // still being published; the next sweep decides
        }

        if (IsStatic(value) && !IsStatic(firstValue))
        {
            store.TryRemove(first, firstValue);
            return false;
        }

        return store.TryRemove(index, value);
    }
}
