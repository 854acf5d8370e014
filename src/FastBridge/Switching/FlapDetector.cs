using System.Runtime.CompilerServices;
using static FastBridge.Switching.MacWords;

namespace FastBridge.Switching;

/// <summary>
/// MAC flap detection for a <see cref="MacTable"/>: finds stations that keep moving between ports, the signature of a
/// forwarding loop or a duplicated MAC, and reports each once per drain.
/// </summary>
/// <remarks>
/// <para>
/// <b>Design.</b> Only a learn that moves a station records anything (<see cref="RecordMove"/>), so a station that
/// stays put pays nothing: the move goes into a fixed array of 1024 records indexed by a hash of the key, each {key,
/// state word, move count}, overwritten freely (lossy by design: stations sharing a record can hide each other, and
/// an unreported flapper keeps its record for one window). A station moving <see cref="Moves"/> times within
/// <see cref="WindowSeconds"/> (default 3 in 5 s, reasons on the properties) is flapping and marked for
/// <see cref="Drain"/>, which housekeeping calls once per logging interval to report each flapper once.
/// </para>
/// <para>
/// <b>Thread-safety.</b> <see cref="RecordMove"/> runs on any number of dataplane threads without locks: a record's
/// key and state are each changed by compare-exchange, and a state read is trusted only if the key is unchanged
/// after it. <see cref="Drain"/> takes a private lock (one drainer at a time) and clears a pending flag by
/// compare-exchange, so a move racing it is either reported now or by the next drain.
/// </para>
/// <para>
/// <b>Performance.</b> 1024 records of 24 bytes (24 KiB), allocated once. A move costs a hash, one record's cache
/// line and two or three atomic operations; nothing allocates. Drain scans the 1024 records off the fast path.
/// </para>
/// </remarks>
internal sealed class FlapDetector
{
    /// <summary>A station that moves this many times within <see cref="DefaultWindowSeconds"/> is flapping.</summary>
    public const int DefaultMoves = 3;

    /// <summary>The window <see cref="DefaultMoves"/> is counted in.</summary>
    public const int DefaultWindowSeconds = 5;

    /// <summary>Longest flap window: the record keeps 22 bits of seconds.</summary>
    public const int MaxWindowSeconds = 86_400;

    /// <summary>Flap records: 1024 × 24 bytes = 24 KiB; stations hashing to one record share it (lossy).</summary>
    private const int FlapIndexBits = 10;
    private const int FlapRecordCount = 1 << FlapIndexBits;

    // FlapRecord.State: from port (0-15), to port (16-31), window start in seconds (32-53, wrapping), moves in the
    // window (54-61, saturating), pending report (62), in use (63, so a written state is never 0).
    private const ulong PortMask = 0xFFFF;
    private const int FlapToShift = 16;
    private const int FlapStartShift = 32;
    private const uint FlapStartMask = (1u << 22) - 1;
    private const int FlapMovesShift = 54;
    private const ulong FlapMovesMask = 0xFF;
    private const ulong FlapPending = 1UL << 62;
    private const ulong FlapInUse = 1UL << 63;

    private readonly FlapRecord[] _flaps = new FlapRecord[FlapRecordCount];
    private readonly Lock _drainLock = new();
    private int _flapMoves = DefaultMoves;
    private int _flapWindowSeconds = DefaultWindowSeconds;

    /// <summary>
    /// Moves within <see cref="WindowSeconds"/> that make a station a flapper (at least 2; default 3). One move
    /// is a station that migrated; a move and a move back can be a failover and its failback; a third move within
    /// seconds means frames from the station keep arriving on two ports, the signature of a forwarding loop or a
    /// duplicated MAC, which is what an operator needs to hear about.
    /// </summary>
    public int Moves
    {
        get => Volatile.Read(ref _flapMoves);
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 2);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, (int)FlapMovesMask);
            Volatile.Write(ref _flapMoves, value);
        }
    }

    /// <summary>
    /// Seconds, in the table's coarse clock (<see cref="MacTable.Tick"/>), within which <see cref="Moves"/> moves make a
    /// station a flapper (default 5: long enough to catch a loop whose copies come back through a slow path, short
    /// enough that a station moved by hand now and then never counts).
    /// </summary>
    public int WindowSeconds
    {
        get => Volatile.Read(ref _flapWindowSeconds);
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, MaxWindowSeconds);
            Volatile.Write(ref _flapWindowSeconds, value);
        }
    }

    /// <summary>
    /// Appends each station found flapping since the previous call to <paramref name="into"/>, once, with the ports
    /// of its latest move and its moves since it was last reported; returns how many. Call from housekeeping about
    /// once per logging interval; off the fast path, allocation-free when <paramref name="into"/> has room. Bounded:
    /// at most one event per flap record (1024). Lossy: stations sharing a record may hide each other.
    /// </summary>
    public int Drain(List<FlapEvent> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        int reported = 0;
        lock (_drainLock)
        {
            FlapRecord[] records = _flaps;
            for (int r = 0; r < records.Length; r++)
            {
                ref FlapRecord record = ref records[r];
                ulong state = Volatile.Read(ref record.State);
                if ((state & FlapPending) == 0)
                {
                    continue;
                }

                ulong key = Volatile.Read(ref record.Key);
                if (Interlocked.CompareExchange(ref record.State, state & ~FlapPending, state) != state ||
                    Volatile.Read(ref record.Key) != key)
                {
                    continue; // a move or another station got there first: the next drain sees it
                }

                int moves = Interlocked.Exchange(ref record.Moves, 0);
                into.Add(new FlapEvent(
                    MacOf(key),
                    VlanOf(key),
                    (int)(state & PortMask),
                    (int)((state >> FlapToShift) & PortMask),
                    Math.Max(moves, 1)));
                reported++;
            }
        }

        return reported;
    }

    /// <summary>
    /// Records a move of <paramref name="key"/> (only called on a move, so a station that stays put pays nothing);
    /// returns true when it makes the station a flapper, in the coarse second <paramref name="now"/>. Lock-free,
    /// allocation-free, lossy when stations share a record.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public bool RecordMove(ulong key, int from, int to, uint now)
    {
        ref FlapRecord record = ref _flaps[FlapIndex(key)];
        int threshold = Volatile.Read(ref _flapMoves);
        int window = Volatile.Read(ref _flapWindowSeconds);
        ulong ports = (uint)from | ((ulong)(uint)to << FlapToShift);
        while (true)
        {
            ulong k = Volatile.Read(ref record.Key);
            ulong state = Volatile.Read(ref record.State);
            if (k != key)
            {
                // Another station's record: keep it while it has an unreported flap from this window.
                if ((state & FlapPending) != 0 && InFlapWindow(state, now, window))
                {
                    return false;
                }

                if (Interlocked.CompareExchange(ref record.Key, key, k) != k)
                {
                    continue;
                }

                Volatile.Write(ref record.Moves, 1);
                Volatile.Write(ref record.State, FlapState(ports, now, moves: 1, pending: false));
                return false;
            }

            if (Volatile.Read(ref record.Key) != key)
            {
                continue; // taken over between the reads: the state may be the other station's
            }

            ulong pending = state & FlapPending;
            ulong next;
            bool flapping = false;
            if (state == 0 || !InFlapWindow(state, now, window))
            {
                next = FlapState(ports, now, moves: 1, pending != 0);
            }
            else
            {
                int moves = (int)Math.Min((state >> FlapMovesShift) & FlapMovesMask, FlapMovesMask - 1) + 1;
                flapping = moves >= threshold;
                next = (state & ((ulong)FlapStartMask << FlapStartShift)) | ports | ((ulong)moves << FlapMovesShift) |
                    pending | (flapping ? FlapPending : 0) | FlapInUse;
            }

            if (Interlocked.CompareExchange(ref record.State, next, state) == state)
            {
                Interlocked.Increment(ref record.Moves);
                return flapping;
            }
        }
    }

    private static ulong FlapState(ulong ports, uint now, int moves, bool pending) =>
        ports | ((ulong)(now & FlapStartMask) << FlapStartShift) | ((ulong)(uint)moves << FlapMovesShift) |
        (pending ? FlapPending : 0) | FlapInUse;

    private static bool InFlapWindow(ulong state, uint now, int window) =>
        ((now - (uint)(state >> FlapStartShift)) & FlapStartMask) < (uint)window;

    private static int FlapIndex(ulong key) =>
        (int)(((key ^ (key >> 32)) * 0x9E37_79B9_7F4A_7C15UL) >> (64 - FlapIndexBits));

    /// <summary>Recent moves of one station (24 bytes). Key 0: never used.</summary>
    private struct FlapRecord
    {
        public ulong Key;
        public ulong State;
        public int Moves;
    }
}
