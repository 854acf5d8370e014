using System.Runtime.CompilerServices;

namespace FastBridge.Switching;

// How a new station gets room in the table, and the knobs of the defences it consults.
public sealed partial class MacTable
{
    /// <summary>Most slots a full-table learn inspects for a victim (see <see cref="FairEviction"/>).</summary>
    public const int EvictionProbes = FairEviction.Probes;

    /// <summary>A station that moves this many times within <see cref="DefaultFlapWindowSeconds"/> is flapping.</summary>
    public const int DefaultFlapMoves = FlapDetector.DefaultMoves;

    /// <summary>The window <see cref="DefaultFlapMoves"/> is counted in.</summary>
    public const int DefaultFlapWindowSeconds = FlapDetector.DefaultWindowSeconds;

    /// <summary>Longest flap window: the flap record keeps 22 bits of seconds.</summary>
    public const int MaxFlapWindowSeconds = FlapDetector.MaxWindowSeconds;

    /// <summary>
    /// Most dynamic entries one port may learn; 0 (the default, like the Linux bridge's) means no limit. A new
    /// station on a port at the limit gets <see cref="LearnResult.PortLimit"/>. Takes effect on the next learn.
    /// See <see cref="PortLearningLimit"/>.
    /// </summary>
    public int MaxPerPort
    {
        get => _portLimit.Max;
        set => _portLimit.Max = value;
    }

    /// <summary>
    /// Moves within <see cref="FlapWindowSeconds"/> that make a station a flapper (at least 2; default 3; reasons on
    /// <see cref="FlapDetector.Moves"/>).
    /// </summary>
    public int FlapMoves
    {
        get => _flaps.Moves;
        set => _flaps.Moves = value;
    }

    /// <summary>
    /// Seconds, in the table's coarse clock (<see cref="Tick"/>), within which <see cref="FlapMoves"/> moves make a
    /// station a flapper (default 5; reasons on <see cref="FlapDetector.WindowSeconds"/>).
    /// </summary>
    public int FlapWindowSeconds
    {
        get => _flaps.WindowSeconds;
        set => _flaps.WindowSeconds = value;
    }

    /// <summary>
    /// Appends each station found flapping since the previous call to <paramref name="into"/>, once, with the ports
    /// of its latest move and its moves since it was last reported; returns how many. Call from housekeeping about
    /// once per logging interval; off the fast path, allocation-free when <paramref name="into"/> has room. Bounded
    /// (at most 1024 events) and lossy: stations sharing a flap record may hide each other.
    /// </summary>
    public int DrainFlaps(List<FlapEvent> into) => _flaps.Drain(into);

    /// <summary>Live entries (static and dynamic) on <paramref name="port"/>; summed over ports, <see cref="Count"/>
    /// once the table is quiet.</summary>
    public int CountOnPort(int port)
    {
        ValidatePort(port);
        MacStore store = Store;
        return store.Dynamic.Get(port) + store.Statics.Get(port);
    }

    /// <summary>Dynamic entries on <paramref name="port"/>: what <see cref="MaxPerPort"/> and fair eviction count.</summary>
    public int DynamicCountOnPort(int port)
    {
        ValidatePort(port);
        return Store.Dynamic.Get(port);
    }

    /// <summary>
    /// Takes one unit of <see cref="Count"/> and one of <paramref name="port"/>'s dynamic count for a new station,
    /// evicting a victim when the table is full. Returns <see cref="LearnResult.Learned"/> when both are held
    /// (<paramref name="evicted"/> says whether a victim made the room); otherwise the refusal, holding nothing.
    /// </summary>
    private LearnResult ReserveNewStation(MacStore store, int port, uint now, out bool evicted)
    {
        evicted = false;
        int cap = _portLimit.CapFor(newStation: true);

        // Reads only, before any write: a flooding port facing a full table (or its cap) dirties no shared line.
        int mine = store.Dynamic.Get(port);
        if (PortLearningLimit.Refuses(mine, cap))
        {
            return LearnResult.PortLimit;
        }

        if (store.Count >= store.Capacity && !store.Eviction.MayEvictFor(port, mine))
        {
            return LearnResult.TableFull;
        }

        int before = store.TryAddDynamic(port, cap);
        if (before < 0)
        {
            return LearnResult.PortLimit;
        }

        if (store.TryReserve())
        {
            return LearnResult.Learned;
        }

        if (store.Eviction.TryEvictFor(port, before, now, Volatile.Read(ref _agingSeconds)))
        {
            evicted = true;
            return LearnResult.Learned;
        }

        store.RemoveDynamic(port);
        return LearnResult.TableFull;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ReleaseReservations(MacStore store, int port, bool reserved)
    {
        if (reserved)
        {
            store.Release();
            store.RemoveDynamic(port);
        }
    }
}
