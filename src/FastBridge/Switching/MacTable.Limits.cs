using System.Runtime.CompilerServices;

namespace FastBridge.Switching;

public sealed partial class MacTable
{
    /// <summary>Most slots a full-table learn inspects for a victim: 64 slots, 1 KiB, 16 sequential cache lines.</summary>
    public const int EvictionProbes = 64;

    private int _maxPerPort;

    /// <summary>
    /// Most dynamic entries one port may learn; 0 (the default, like the Linux bridge's) means no limit. A new
    /// station on a port at the limit gets <see cref="LearnResult.PortLimit"/>. Takes effect on the next learn.
    /// </summary>
    public int MaxPerPort
    {
        get => Volatile.Read(ref _maxPerPort);
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            Volatile.Write(ref _maxPerPort, value);
        }
    }

    /// <summary>Live entries (static and dynamic) on <paramref name="port"/>; summed over ports, <see cref="Count"/>
    /// once the table is quiet.</summary>
    public int CountOnPort(int port)
    {
        ValidatePort(port);
        Store store = Volatile.Read(ref _store);
        return store.Dynamic.Get(port) + store.Statics.Get(port);
    }

    /// <summary>Dynamic entries on <paramref name="port"/>: what <see cref="MaxPerPort"/> and fair eviction count.</summary>
    public int DynamicCountOnPort(int port)
    {
        ValidatePort(port);
        return Volatile.Read(ref _store).Dynamic.Get(port);
    }

    /// <summary>Test hook: the cached heaviest port (-1: none).</summary>
    internal int HeaviestPortForTests => Volatile.Read(ref _store).Heaviest;

    /// <summary>Test hook: the sum of all per-port counts of the current store.</summary>
    internal long SumOfPortCountsForTests()
    {
        Store store = Volatile.Read(ref _store);
        return store.Dynamic.Sum() + store.Statics.Sum();
    }

    /// <summary>
    /// Takes one unit of <see cref="Count"/> and one of <paramref name="port"/>'s dynamic count for a new station,
    /// evicting a victim when the table is full. Returns <see cref="LearnResult.Learned"/> when both are held
    /// (<paramref name="evicted"/> says whether a victim made the room); otherwise the refusal, holding nothing.
    /// </summary>
    private LearnResult ReserveNewStation(Store store, int port, uint now, out bool evicted)
    {
        evicted = false;
        int limit = Volatile.Read(ref _maxPerPort);

        // Reads only, before any write: a flooding port facing a full table (or its cap) dirties no shared line.
        int mine = store.Dynamic.Get(port);
        if (limit > 0 && mine >= limit)
        {
            return LearnResult.PortLimit;
        }

        if (store.Count >= store.Capacity && !MayEvictFor(store, port, mine))
        {
            return LearnResult.TableFull;
        }

        int before = store.TryAddDynamic(port, limit);
        if (before < 0)
        {
            return LearnResult.PortLimit;
        }

        if (store.TryReserve())
        {
            return LearnResult.Learned;
        }

        if (TryEvictFor(store, port, before, now))
        {
            evicted = true;
            return LearnResult.Learned;
        }

        store.RemoveDynamic(port);
        return LearnResult.TableFull;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ReleaseReservations(Store store, int port, bool reserved)
    {
        if (reserved)
        {
            store.Release();
            store.RemoveDynamic(port);
        }
    }

    /// <summary>True when the cached heaviest port is another port holding more dynamic entries than
    /// <paramref name="mine"/>, the learning port's count.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool MayEvictFor(Store store, int port, int mine)
    {
        int heaviest = store.Heaviest;
        return heaviest >= 0 && heaviest != port && store.Dynamic.Get(heaviest) > mine;
    }

    /// <summary>
    /// Full table: evicts one dynamic entry of the heaviest port (or any expired dynamic entry) found within
    /// <see cref="EvictionProbes"/> slots of the rotating cursor, keeping its unit of <see cref="Count"/> for the
    /// caller. False when the learning port may not evict (it is the heaviest or ties) or no victim was found.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool TryEvictFor(Store store, int port, int mine, uint now)
    {
        if (!MayEvictFor(store, port, mine))
        {
            return false;
        }

        int heaviest = store.Heaviest;
        int aging = Volatile.Read(ref _agingSeconds);
        Slot[] slots = store.Slots;
        int mask = store.Mask;
        int i = store.NextEvictionWindow(EvictionProbes);
        int seen = -1;
        for (int probes = 0; probes < EvictionProbes; probes++, i = (i + 1) & mask)
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
                if (store.TryEvict(i, value))
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
        if (seen >= 0 && store.Dynamic.Get(seen) > store.Dynamic.Get(heaviest))
        {
            store.Heaviest = seen;
        }

        return false;
    }
}
