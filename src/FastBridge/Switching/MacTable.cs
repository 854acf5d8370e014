using System.Runtime.CompilerServices;
using static FastBridge.Switching.MacWords;

namespace FastBridge.Switching;

/// <summary>
/// The forwarding database: which port each (MAC, VLAN) station was last seen on. Learned from source addresses on
/// the fast path, looked up for destination addresses on the fast path, aged and edited off it.
/// </summary>
/// <remarks>
/// <para>
/// <b>Design.</b> A lock-free open-addressing hash table whose keys and values are machine words, as in VPP's L2 FIB
/// (encoding in <see cref="MacWords"/>). Slots live in a <see cref="MacStore"/>: a power-of-two array at least twice
/// <see cref="Capacity"/> (load at most 0.5), probed linearly from a Fibonacci hash of the key, with its live count
/// and per-port counts. Deletion leaves a tombstone that inserts reuse; empty slots never come back in a given array,
/// which keeps every probe chain intact. When tombstones pass a quarter of the slots, or the capacity changes, the
/// live entries are copied into a fresh store that is swapped in with one reference write (Snabb swaps whole tables
/// the same way). Aging follows OVS: the dataplane only stamps coarse seconds that <see cref="Tick"/> advances, and
/// <see cref="Sweep"/> removes expired entries off the fast path, while <see cref="Lookup"/> already treats them as
/// unknown. The table is only storage: the defences against hostile or broken stations are their own types, which
/// <see cref="Learn"/> consults only when a station is new or moves: <see cref="FairEviction"/> (a full table
/// evicts from the port holding the most entries), <see cref="PortLearningLimit"/> (<see cref="MaxPerPort"/>) and
/// <see cref="FlapDetector"/> (<see cref="FlapMoves"/>, <see cref="DrainFlaps"/>).
/// </para>
/// <para>
/// <b>Thread-safety.</b> <see cref="Learn"/> and <see cref="Lookup"/> may run on any number of threads at once, without
/// locks. Everything else that removes entries or swaps the store (<see cref="Sweep"/>, the control methods) takes
/// one private lock, so there is a single remover at a time besides learners evicting for a full table (see
/// <see cref="FairEviction"/>), and learners only ever turn an empty slot or a tombstone into a live key. The
/// orderings that make this safe:
/// a new entry is claimed with <see cref="Interlocked.CompareExchange(ref ulong, ulong, ulong)"/> on the key (a full
/// fence), then published with <see cref="Volatile.Write(ref ulong, ulong)"/> on the value (a release), so until then
/// readers see the value <c>0</c> and miss. A remover first swaps the value to <c>0</c> with a compare-exchange
/// against the value it judged (so it never removes an entry a learner refreshed in between, and of two removers
/// only one wins), then writes the tombstone with a release: a slot is therefore reusable only after its value is
/// <c>0</c>, and the next owner's value is the only thing ever written into it. Readers load key, value, key, each
/// with <see cref="Volatile.Read(ref readonly ulong)"/> (acquire, so the loads stay in program order on ARM64 too); a
/// changed key means the slot was freed and reused under them and the value is discarded. Refreshes and moves of a
/// live entry are a compare-exchange on the value rather than a plain write, so a learner that read a dynamic value
/// can never overwrite a static entry or a removal that landed in between; control code rechecks the key before
/// overwriting a value, since an evicting learner may free it under the lock. The store reference is read with
/// acquire and swapped with release; learns that race a swap land in the old store and are lost, with their counts,
/// which is harmless for soft state (the station's next frame learns it again); static entries are written only
/// under the lock and are never lost. Two benign races remain, both repaired by <see cref="Sweep"/>: (1) a learner
/// whose probe of a new station raced a removal can claim a later slot while another thread claims the freed earlier
/// one, leaving two copies of one key; lookups and learns use the first in probe order and Sweep removes the later
/// one (keeping a static copy over a dynamic one). (2) a learner stalled between reading an entry and its
/// compare-exchange, while that slot is removed and reused by another station with the identical value, moves that
/// station to its own port until the station's next frame moves it back (only dynamic entries; needs the same port
/// and the same second).
/// </para>
/// <para>
/// <b>Performance.</b> A lookup is a hash, usually one cache line, and three loads. A learn of a known station on
/// the same port within the same second writes nothing and touches no defence, so steady traffic leaves the lines
/// shared across cores; a stamp is rewritten at most once a second per station. A new station costs one atomic add on
/// the live count (alone on its own 128-byte block), one on its port's count and one read of the heaviest port's
/// count; a move costs the port counts and one flap record. No per-frame counters, no allocation, no locks on the
/// fast path; a full table answers a port that may not evict <see cref="LearnResult.TableFull"/> after one probe and
/// a few reads (<c>perf/FastBridge.Benchmarks/MacTableBenchmarks.cs</c> measures lookups and refreshes).
/// </para>
/// </remarks>
public sealed partial class MacTable
{
    /// <summary>Open vSwitch's default <c>mac-table-size</c>.</summary>
    public const int DefaultCapacity = 8192;

    /// <summary>Linux bridge and Open vSwitch default ageing time.</summary>
    public const int DefaultAgingSeconds = 300;

    /// <summary>Largest capacity: 2^22 entries in 2^23 slots of 16 bytes (128 MiB).</summary>
    public const int MaxCapacity = 4_194_304;

    /// <summary>Ports are 16 bits in an entry.</summary>
    public const int MaxPort = ushort.MaxValue;

    /// <summary>VLAN IDs are 12 bits; the dataplane masks higher bits, the control plane rejects them.</summary>
    public const ushort MaxVlan = 4095;

    private readonly TimeProvider _time;
    private readonly DateTimeOffset _origin;
    private readonly Lock _controlLock = new();
    private readonly PortLearningLimit _portLimit = new();
    private readonly FlapDetector _flaps = new();

    // Read by every dataplane call; written by Rebuild (under _controlLock), Tick and the AgingSeconds setter.
    private MacStore _store;
    private uint _now;
    private int _agingSeconds;

    private long _agedTotal;

    public MacTable(int capacity = DefaultCapacity, int agingSeconds = DefaultAgingSeconds, TimeProvider? time = null)
    {
        ValidateCapacity(capacity);
        ArgumentOutOfRangeException.ThrowIfNegative(agingSeconds);
        _time = time ?? TimeProvider.System;
        _origin = _time.GetUtcNow();
        _agingSeconds = agingSeconds;
        _store = new MacStore(capacity);
    }

    /// <summary>Most live entries (static and dynamic) the table holds.</summary>
    public int Capacity => Store.Capacity;

    /// <summary>Live entries, including expired ones not yet swept and learns still being published.</summary>
    public int Count => Store.Count;

    /// <summary>The current slot array with its counts and eviction state; replaced whole by a rebuild.</summary>
    internal MacStore Store => Volatile.Read(ref _store);

    /// <summary>
    /// Learns that <paramref name="mac"/> (packed as <see cref="Frames.MacAddress.Value"/>) in <paramref name="vlan"/> is
    /// reachable through <paramref name="port"/>. Lock-free and allocation-free; any number of threads.
    /// </summary>
    public LearnResult Learn(ulong mac, ushort vlan, int port)
    {
        if ((uint)port > MaxPort)
        {
            ThrowHelper.ThrowPortOutOfRange(port);
        }

        ulong key = MakeKey(mac, vlan);
        MacStore store = Volatile.Read(ref _store);
        uint now = Volatile.Read(ref _now);
        MacStore.Slot[] slots = store.Slots;
        int mask = store.Mask;
        bool reserved = false; // one unit of Count and one of the port's dynamic count, held for this station
        bool evicted = false;

        while (true)
        {
            int free = -1;
            ulong freeKey = EmptyKey;
            int i = store.Home(key);
            for (int probes = 0; probes <= mask; probes++, i = (i + 1) & mask)
            {
                ulong k = Volatile.Read(ref slots[i].Key);
                if (k == key)
                {
                    if (TryUpdate(store, ref slots[i], key, port, now, out LearnResult result))
                    {
                        // Learned meanwhile by another thread (an eviction made for it is not undone: soft state).
                        ReleaseReservations(store, port, reserved);
                        return result;
                    }

                    // The slot was freed (and maybe reused) under us: probe again from the start.
                    free = -2;
                    break;
                }

                if (k == EmptyKey)
                {
                    if (free == -1)
                    {
                        free = i;
                    }

                    break;
                }

                if (k == TombstoneKey && free == -1)
                {
                    free = i;
                    freeKey = TombstoneKey;
                }
            }

            if (free == -2)
            {
                continue;
            }

            if (free < 0)
            {
                // Impossible at load <= 0.5: no free slot left on the whole ring.
                ReleaseReservations(store, port, reserved);
                return LearnResult.TableFull;
            }

            if (!reserved)
            {
                LearnResult refused = ReserveNewStation(store, port, now, out evicted);
                if (refused != LearnResult.Learned)
                {
                    return refused;
                }

                reserved = true;
            }

            ref MacStore.Slot slot = ref slots[free];
            if (Interlocked.CompareExchange(ref slot.Key, key, freeKey) == freeKey)
            {
                Volatile.Write(ref slot.Value, MakeValue(port, now, isStatic: false));
                return evicted ? LearnResult.LearnedEvicting : LearnResult.Learned;
            }

            // Another thread claimed that slot first; probe again (it may have been this very station), keeping the
            // reservations.
        }
    }

    /// <summary>
    /// The port <paramref name="mac"/> in <paramref name="vlan"/> was learned on, or -1 when it is unknown or its
    /// dynamic entry has expired. Lock-free and allocation-free; any number of threads.
    /// </summary>
    public int Lookup(ulong mac, ushort vlan)
    {
        ulong key = MakeKey(mac, vlan);
        MacStore store = Volatile.Read(ref _store);
        MacStore.Slot[] slots = store.Slots;
        int mask = store.Mask;
        int i = store.Home(key);
        for (int probes = 0; probes <= mask; probes++, i = (i + 1) & mask)
        {
            ref MacStore.Slot slot = ref slots[i];
            ulong k = Volatile.Read(ref slot.Key);
            if (k == key)
            {
                ulong value = Volatile.Read(ref slot.Value);
                if (Volatile.Read(ref slot.Key) == key)
                {
                    return value == 0 || IsExpired(value, Volatile.Read(ref _now), Volatile.Read(ref _agingSeconds))
                        ? -1
                        : PortOf(value);
                }

                // Freed and reused between the two key reads: the value belongs to someone else; keep probing.
            }
            else if (k == EmptyKey)
            {
                return -1;
            }
        }

        return -1;
    }

    /// <summary>
    /// Refreshes or moves the live entry in <paramref name="slot"/>. False when the slot no longer holds
    /// <paramref name="key"/>, and the caller must probe again.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryUpdate(MacStore store, ref MacStore.Slot slot, ulong key, int port, uint now, out LearnResult result)
    {
        while (true)
        {
            ulong value = Volatile.Read(ref slot.Value);
            if (Volatile.Read(ref slot.Key) != key)
            {
                result = default;
                return false;
            }

            if (value == 0)
            {
                // Another learner is publishing this station, or the remover is taking it out: leave it to them.
                result = LearnResult.Refreshed;
                return true;
            }

            if (IsStatic(value))
            {
                result = LearnResult.Static;
                return true;
            }

            int oldPort = PortOf(value);
            if (oldPort == port && (int)(now - StampOf(value)) <= 0)
            {
                // Nothing would change (or another learner saw a newer second): write nothing, keep the line shared.
                result = LearnResult.Refreshed;
                return true;
            }

            bool expired = IsExpired(value, now, Volatile.Read(ref _agingSeconds));
            bool moving = oldPort != port;

            // Count the entry on its new port first. An expired entry taken over by another port is a new station
            // there, so the per-port cap applies; a move of a live station is never refused (as in the Linux bridge),
            // since refusing would leave it pointing at the port it left.
            if (moving && store.TryAddDynamic(port, _portLimit.CapFor(newStation: expired)) < 0)
            {
                result = LearnResult.PortLimit;
                return true;
            }

            if (Interlocked.CompareExchange(ref slot.Value, MakeValue(port, now, isStatic: false), value) == value)
            {
                if (moving)
                {
                    store.RemoveDynamic(oldPort);
                }

                result = expired ? LearnResult.Learned
                    : !moving ? LearnResult.Refreshed
                    : _flaps.RecordMove(key, oldPort, port, now) ? LearnResult.MovedFlapping
                    : LearnResult.Moved;
                return true;
            }

            if (moving)
            {
                store.RemoveDynamic(port);
            }

            // Changed in between (another learner, a static write or a removal): judge the new value.
        }
    }

    private static void ValidateCapacity(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, MaxCapacity);
    }
}
