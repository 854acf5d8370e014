using System.Runtime.CompilerServices;
using FastBridge.Frames;

namespace FastBridge.Switching;

/// <summary>
/// The forwarding database: which port each (MAC, VLAN) station was last seen on. Learned from source addresses on
/// the fast path, looked up for destination addresses on the fast path, aged and edited off it.
/// </summary>
/// <remarks>
/// <para>
/// <b>Design.</b> Keys and values are machine words, as in VPP's L2 FIB. The key is
/// <c>mac | vlan &lt;&lt; 48 | 1 &lt;&lt; 63</c>, so a live key is never <c>0</c> (an empty slot) nor <c>1</c> (a
/// tombstone). The value packs the port (bits 0-15), a static flag (bit 16), a valid flag (bit 17, so a published
/// value is never <c>0</c>; <c>0</c> means "being published or removed"), zero bits 18-31, and a 32-bit coarse age
/// stamp in seconds since the table was created (bits 32-63, wrapping after 136 years). Slots are {key, value}
/// pairs in a power-of-two array at least twice <see cref="Capacity"/> (load at most 0.5), probed linearly from a
/// Fibonacci hash of the key. Deletion leaves a tombstone that inserts reuse; empty slots never come back in a given array, which
/// keeps every probe chain intact. When tombstones pass a quarter of the slots, or the capacity changes, the live
/// entries are copied into a fresh array that is swapped in with one reference write (Snabb swaps whole tables the
/// same way). Aging follows OVS: the dataplane only stamps coarse seconds that <see cref="Tick"/> advances, and
/// <see cref="Sweep"/> removes expired entries off the fast path, while <see cref="Lookup"/> already treats them as
/// unknown.
/// </para>
/// <para>
/// <b>Thread-safety.</b> <see cref="Learn"/> and <see cref="Lookup"/> may run on any number of threads at once, without
/// locks. Everything that removes entries or swaps the array (<see cref="Sweep"/>, the control methods) takes one
/// private lock, so there is a single remover at a time and learners only ever turn an empty slot or a tombstone
/// into a live key. The orderings that make this safe:
/// a new entry is claimed with <see cref="Interlocked.CompareExchange(ref ulong, ulong, ulong)"/> on the key (a full
/// fence), then published with <see cref="Volatile.Write(ref ulong, ulong)"/> on the value (a release), so until then
/// readers see the value <c>0</c> and miss. A remover first swaps the value to <c>0</c> with a compare-exchange
/// against the value it judged (so it never removes an entry a learner refreshed in between), then writes the
/// tombstone with a release: a slot is therefore reusable only after its value is <c>0</c>, and the next owner's value
/// is the only thing ever written into it. Readers load key, value, key, each with
/// <see cref="Volatile.Read(ref readonly ulong)"/> (acquire, so the loads stay in program order on ARM64 too); a
/// changed key means the slot was freed and reused under them and the value is discarded. Refreshes and moves of a
/// live entry are a compare-exchange on the value rather than a plain write, so a learner that read a dynamic value
/// can never overwrite a static entry or a removal that landed in between. The array reference is read with
/// acquire and swapped with release; learns that race a swap land in the old array and are lost, which is harmless
/// for soft state (the station's next frame learns it again); static entries are written only under the lock and are
/// never lost. Two benign races remain, both repaired by <see cref="Sweep"/>: (1) a learner whose probe of a new
/// station raced a removal can claim a later slot while another thread claims the freed earlier one, leaving two
/// copies of one key; lookups and learns use the first in probe order and Sweep removes the later one (keeping a
/// static copy over a dynamic one). (2) a learner stalled between reading an entry and its compare-exchange, while
/// that slot is removed and reused by another station with the identical value, moves that station to its own port
/// until the station's next frame moves it back (only dynamic entries; needs the same port and the same second).
/// </para>
/// <para>
/// <b>Performance.</b> A lookup is a hash, usually one cache line, and three loads. A learn of a known station on
/// the same port within the same second writes nothing, so steady traffic leaves the lines shared across cores; a
/// stamp is rewritten at most once a second per station. The live-entry count is the only shared counter, touched
/// only when a station is added or removed, and sits alone on its own 128-byte block. No per-frame counters, no
/// allocation, no locks on the fast path; full tables answer a port that may not evict
/// <see cref="LearnResult.TableFull"/> after one probe and a few reads (see the performance of the defenses below).
/// </para>
/// <para>
/// <b>Defenses: per-port counts.</b> Each store counts its dynamic entries per port, and separately its static ones, in
/// lazily chunked arrays (<see cref="PortCounts"/>). Whoever wins the compare-exchange that changes a slot's value
/// adjusts the counts for exactly that change (a learner for a new station or a move, a remover for a removal,
/// <see cref="AddStatic"/> for an overwrite), so once the table is quiet the counts add up to <see cref="Count"/>
/// exactly; while it is busy they may be ahead by the new stations being learned, like <see cref="Count"/> itself. The
/// counts live in the store, so a rebuild recounts from the entries it copies, and learns lost with an old array are
/// lost from that array's counts too.
/// </para>
/// <para>
/// <b>Defenses: fair eviction.</b> As in Open vSwitch, a new station that finds the table full evicts one dynamic entry
/// of the port holding the most entries, but only if that port holds more than the learning port: a port flooding
/// random sources becomes the heaviest and can then only push out its own entries, which it may not do either, so it
/// gets <see cref="LearnResult.TableFull"/> while every other port keeps learning at its expense. Finding the heaviest
/// port by scanning 4096 counts per full-table learn would be too slow under a flood, so each store caches it: a
/// port whose count grows past the cached one's takes its place (one extra read per new station), and sweeps,
/// flushes and rebuilds rescan. The cache can go stale when the heaviest port's entries are removed or evicted;
/// since eviction also demands that the victim's port hold more entries than the learner's, a stale cache can only
/// make eviction pick a lighter heavy port or refuse, never let a port push out a lighter one. A failed victim search
/// nominates a heavier port it saw, so the cache also heals between sweeps. The victim is found by probing at most
/// <see cref="EvictionProbes"/> slots from a rotating cursor for a dynamic entry of that port (or any expired
/// dynamic entry), so a full-table learn costs a bounded, mostly sequential scan; when the heaviest port holds only a
/// small share of the table the search can miss, the learn answers <see cref="LearnResult.TableFull"/>, and the next
/// search looks at the next window. Static entries are never evicted.
/// </para>
/// <para>
/// <b>Defenses: per-port cap.</b> <see cref="MaxPerPort"/> works like the Linux bridge's learning limit
/// (<c>fdb_max_learned</c>, default 0 = unlimited), but per port rather than per bridge: a port holding that many
/// dynamic entries learns no new station. Moves of known stations onto the port are not refused (refusing would leave them pointing at the port
/// they left), so a port can exceed its cap through moves; lowering the cap removes nothing.
/// </para>
/// <para>
/// <b>Defenses: thread-safety.</b> Eviction makes learners removers too, alongside the one control-lock holder. Removal was
/// already a compare-exchange of the value against the value judged, so two removers of one entry cannot both win;
/// only the winner writes the tombstone and adjusts the counts. The evicted entry's unit of <see cref="Count"/> is
/// handed to the new station instead of being released, so a full table stays exactly full and no other learner can
/// take the room in between (<see cref="Count"/> never exceeds <see cref="Capacity"/>). Control code no longer
/// assumes a key cannot change under the lock: <see cref="AddStatic"/> rechecks the key before overwriting a value.
/// An evicter can hit a slot freed and reused by another station with an identical value (the ABA race (2) in the
/// remarks on <see cref="MacTable"/>); it then evicts that station instead, which has the same port and so is an
/// equally fair victim. The per-port cap is a bounded compare-exchange on the port's count taken before the slot is
/// claimed, so concurrent learners on one port cannot overshoot it.
/// </para>
/// <para>
/// <b>Defenses: performance.</b> Refreshes touch no count. A new station costs one more atomic add (its port's count) and
/// one read of the heaviest port's count; the counts of 16 ports share a cache line, which new stations on
/// neighbouring ports bounce much as they already bounce the live count. A full table answers a flooding port after
/// one probe and a few reads, writing nothing.
/// </para>
/// <para>
/// <b>Defenses: flap detection.</b> Only a learn that moves a station records anything, so a station that stays put
/// pays nothing: the move goes into a fixed array of 1024 records indexed by a hash of the key, each {key, state
/// word, move count}, updated with compare-exchanges and overwritten freely (lossy by design: stations sharing a record
/// can hide each other, and an unreported flapper keeps its record for one window). A station moving
/// <see cref="FlapMoves"/> times within <see cref="FlapWindowSeconds"/> (default 3 in 5 s, reasons on the properties)
/// gets <see cref="LearnResult.MovedFlapping"/> instead of <see cref="LearnResult.Moved"/> and is marked for
/// <see cref="DrainFlaps"/>, which housekeeping calls once per logging interval to report each flapper once.
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

    private const ulong EmptyKey = 0;
    private const ulong TombstoneKey = 1;
    private const ulong LiveKeyBit = 1UL << 63;
    private const int VlanShift = 48;

    private const ulong PortMask = 0xFFFF;
    private const ulong StaticFlag = 1UL << 16;
    private const ulong ValidFlag = 1UL << 17;
    private const int StampShift = 32;

    private readonly TimeProvider _time;
    private readonly DateTimeOffset _origin;
    private readonly Lock _controlLock = new();

    // Read by every dataplane call; written by Rebuild (under _controlLock), Tick and the AgingSeconds setter.
    private Store _store;
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
        _store = new Store(capacity);
    }

    /// <summary>Most live entries (static and dynamic) the table holds.</summary>
    public int Capacity => Volatile.Read(ref _store).Capacity;

    /// <summary>Live entries, including expired ones not yet swept and learns still being published.</summary>
    public int Count => Volatile.Read(ref _store).Count;

    /// <summary>
    /// Learns that <paramref name="mac"/> (packed as <see cref="MacAddress.Value"/>) in <paramref name="vlan"/> is
    /// reachable through <paramref name="port"/>. Lock-free and allocation-free; any number of threads.
    /// </summary>
    public LearnResult Learn(ulong mac, ushort vlan, int port)
    {
        if ((uint)port > MaxPort)
        {
            ThrowHelper.ThrowPortOutOfRange(port);
        }

        ulong key = MakeKey(mac, vlan);
        Store store = Volatile.Read(ref _store);
        uint now = Volatile.Read(ref _now);
        Slot[] slots = store.Slots;
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

            ref Slot slot = ref slots[free];
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
        Store store = Volatile.Read(ref _store);
        Slot[] slots = store.Slots;
        int mask = store.Mask;
        int i = store.Home(key);
        for (int probes = 0; probes <= mask; probes++, i = (i + 1) & mask)
        {
            ref Slot slot = ref slots[i];
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
    private bool TryUpdate(Store store, ref Slot slot, ulong key, int port, uint now, out LearnResult result)
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

            if ((value & StaticFlag) != 0)
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
            if (moving && store.TryAddDynamic(port, expired ? Volatile.Read(ref _maxPerPort) : 0) < 0)
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
                    : RecordMove(key, oldPort, port, now);
                return true;
            }

            if (moving)
            {
                store.RemoveDynamic(port);
            }

            // Changed in between (another learner, a static write or a removal): judge the new value.
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong MakeKey(ulong mac, ushort vlan) =>
        (mac & MacAddress.Mask) | ((ulong)(vlan & MaxVlan) << VlanShift) | LiveKeyBit;

    private static bool IsLiveKey(ulong key) => (key & LiveKeyBit) != 0;

    private static MacAddress MacOf(ulong key) => new(key & MacAddress.Mask);

    private static ushort VlanOf(ulong key) => (ushort)((key >> VlanShift) & MaxVlan);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong MakeValue(int port, uint stamp, bool isStatic) =>
        (uint)port | ValidFlag | (isStatic ? StaticFlag : 0) | ((ulong)stamp << StampShift);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int PortOf(ulong value) => (int)(value & PortMask);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint StampOf(ulong value) => (uint)(value >> StampShift);

    private static bool IsStatic(ulong value) => (value & StaticFlag) != 0;

    private static void ValidateCapacity(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, MaxCapacity);
    }
}
