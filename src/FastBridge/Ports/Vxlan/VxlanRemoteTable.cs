using System.Net;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FastBridge.Ports.Vxlan;

/// <summary>
/// A VXLAN port's own forwarding table, as the Linux kernel's vxlan fdb: the remote VTEPs it knows (their socket
/// addresses, which of them get flooded frames) and which remote each inner (MAC, segment) was last seen behind.
/// </summary>
/// <remarks>
/// <para>
/// Design: the bridge's MAC table only says "behind this VXLAN port"; the port itself picks the VTEP. One writer: the
/// port's owning worker (learning in Receive, aging, and the control plane's edits, which it queues to the worker,
/// <see cref="VxlanPort.AddStaticEntry"/>). Entries live in an open-addressing hash of machine words (key: MAC, segment
/// index and a used bit; value: remote index, static bit, the second last seen on the bridge's coarse clock). A slot's
/// version (a seqlock: odd while written) lets the control plane list entries from another thread without a lock.
/// Deletion leaves a tombstone that a later insert reuses. Aging: an expired dynamic entry is a miss at once (its
/// frames flood again) and a slow sweep on the owner turns it into a tombstone.
/// </para>
/// <para>
/// Remotes: a fixed array of <see cref="MaxRemotes"/> socket addresses in native memory (sendmmsg points at them),
/// appended, never removed while the port lives; the configured ones (and only they) receive flooded frames, up to
/// <see cref="MaxFloodRemotes"/>. Performance: a lookup is a hash and one or two cache lines; no allocation, no lock.
/// </para>
/// </remarks>
internal sealed unsafe class VxlanRemoteTable : IDisposable
{
    public const int MaxRemotes = 256;
    public const int MaxFloodRemotes = 64;
    public const int Capacity = 4096;
    private const int SlotCount = Capacity * 2;
    private const ulong UsedBit = 1UL << 63;
    private const ulong Tombstone = ulong.MaxValue;
    private const ulong StaticBit = 1UL << 16;

    private readonly byte* _addresses;
    private readonly uint[] _addressLengths = new uint[MaxRemotes];
    private readonly IPAddress?[] _remoteAddresses = new IPAddress?[MaxRemotes];
    private readonly int[] _flood = new int[MaxFloodRemotes];
    private readonly ulong[] _keys = new ulong[SlotCount];
    private readonly ulong[] _values = new ulong[SlotCount];
    private readonly int[] _versions = new int[SlotCount];
    private int _remoteCount;
    private int _floodCount;
    private int _live;
    private int _sweepCursor;

    public VxlanRemoteTable()
    {
        _addresses = (byte*)NativeMemory.AllocZeroed((nuint)(MaxRemotes * VxlanSocket.AddressSize));
    }

    public int RemoteCount => Volatile.Read(ref _remoteCount);

    public int FloodCount => _floodCount;

    /// <summary>Live entries (including expired ones not swept yet).</summary>
    public int Count => Volatile.Read(ref _live);

    /// <summary>Per remote: datagrams sent to it and accepted from it (the owner writes, anyone reads).</summary>
    public long[] SentTo { get; } = new long[MaxRemotes];

    public long[] ReceivedFrom { get; } = new long[MaxRemotes];

    public byte* AddressOf(int remote) => _addresses + (remote * VxlanSocket.AddressSize);

    public uint AddressLengthOf(int remote) => _addressLengths[remote];

    public IPAddress RemoteAddress(int remote) => _remoteAddresses[remote]!;

    public int FloodRemote(int i) => _flood[i];

    /// <summary>Adds a remote (control setup or the owner); returns its index, or -1 when the table of remotes is full.</summary>
    public int AddRemote(IPAddress address, int port, bool flood)
    {
        int existing = FindRemote(address);
        if (existing >= 0)
        {
            if (flood && !IsFlooded(existing) && _floodCount < MaxFloodRemotes)
            {
                _flood[_floodCount] = existing;
                Volatile.Write(ref _floodCount, _floodCount + 1);
            }

            return existing;
        }

        int index = _remoteCount;
        if (index == MaxRemotes || (flood && _floodCount == MaxFloodRemotes))
        {
            return -1;
        }

        _addressLengths[index] = VxlanSocket.Write(address, port, new Span<byte>(AddressOf(index), VxlanSocket.AddressSize));
        _remoteAddresses[index] = address;
        if (flood)
        {
            _flood[_floodCount] = index;
            Volatile.Write(ref _floodCount, _floodCount + 1);
        }

        Volatile.Write(ref _remoteCount, index + 1);
        return index;
    }

    public int FindRemote(IPAddress address)
    {
        for (int i = 0; i < RemoteCount; i++)
        {
            if (_remoteAddresses[i]!.Equals(address))
            {
                return i;
            }
        }

        return -1;
    }

    private bool IsFlooded(int remote) => _flood.AsSpan(0, _floodCount).Contains(remote);

    /// <summary>The remote a received datagram came from (its sockaddr), or -1: the frame path's source check.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int MatchSource(ReadOnlySpan<byte> source)
    {
        int count = _remoteCount;
        for (int i = 0; i < count; i++)
        {
            if (VxlanSocket.SameAddress(new ReadOnlySpan<byte>(AddressOf(i), VxlanSocket.AddressSize), source))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The remote behind (<paramref name="mac"/>, <paramref name="segment"/>), or -1 (unknown or expired).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Lookup(ulong mac, int segment, uint now, int agingSeconds)
    {
        ulong key = Key(mac, segment);
        int mask = SlotCount - 1;
        for (int i = Home(key), probes = 0; probes < SlotCount; probes++, i = (i + 1) & mask)
        {
            ulong k = _keys[i];
            if (k == key)
            {
                ulong value = _values[i];
                return IsExpired(value, now, agingSeconds) ? -1 : (int)(value & 0xFFFF);
            }

            if (k == 0)
            {
                return -1;
            }
        }

        return -1;
    }

    /// <summary>
    /// Records that (<paramref name="mac"/>, <paramref name="segment"/>) is behind <paramref name="remote"/>; a static
    /// entry is not moved by learning. Returns true when the entry is new or moved (owner thread only).
    /// </summary>
    public bool Learn(ulong mac, int segment, int remote, uint now, bool isStatic = false)
    {
        ulong key = Key(mac, segment);
        ulong value = (uint)remote | (isStatic ? StaticBit : 0) | ((ulong)now << 32);
        int mask = SlotCount - 1;
        int free = -1;
        for (int i = Home(key), probes = 0; probes < SlotCount; probes++, i = (i + 1) & mask)
        {
            ulong k = _keys[i];
            if (k == key)
            {
                ulong old = _values[i];
                if ((old & StaticBit) != 0 && !isStatic)
                {
                    return false;
                }

                bool moved = (old & 0xFFFF) != (uint)remote;
                if (moved || (old >> 32) != now || isStatic)
                {
                    Write(i, key, value);
                }

                return moved;
            }

            if (k == Tombstone && free < 0)
            {
                free = i;
            }
            else if (k == 0)
            {
                free = free < 0 ? i : free;
                break;
            }
        }

        if (free < 0 || _live >= Capacity)
        {
            return false; // full: the station's frames keep flooding
        }

        Write(free, key, value);
        Volatile.Write(ref _live, _live + 1);
        return true;
    }

    /// <summary>Removes an entry (owner thread); true when there was one.</summary>
    public bool Remove(ulong mac, int segment)
    {
        ulong key = Key(mac, segment);
        int mask = SlotCount - 1;
        for (int i = Home(key), probes = 0; probes < SlotCount; probes++, i = (i + 1) & mask)
        {
            ulong k = _keys[i];
            if (k == key)
            {
                Write(i, Tombstone, 0);
                Volatile.Write(ref _live, _live - 1);
                return true;
            }

            if (k == 0)
            {
                return false;
            }
        }

        return false;
    }

    /// <summary>Turns up to <paramref name="slots"/> expired dynamic entries into tombstones, a few slots per call (owner thread).</summary>
    public int Sweep(int slots, uint now, int agingSeconds)
    {
        int removed = 0;
        for (int n = 0; n < slots; n++)
        {
            int i = _sweepCursor;
            _sweepCursor = (i + 1) & (SlotCount - 1);
            ulong k = _keys[i];
            if (k != 0 && k != Tombstone && IsExpired(_values[i], now, agingSeconds))
            {
                Write(i, Tombstone, 0);
                Volatile.Write(ref _live, _live - 1);
                removed++;
            }
        }

        return removed;
    }

    /// <summary>
    /// The live entries, read from any thread (each slot consistently, through its version); expired dynamic ones are
    /// left out. <paramref name="visit"/> gets MAC, segment index, remote index, static, seconds since last seen.
    /// </summary>
    public void ForEach(uint now, int agingSeconds, Action<ulong, int, int, bool, uint> visit)
    {
        for (int i = 0; i < SlotCount; i++)
        {
            ulong key;
            ulong value;
            int before;
            do
            {
                before = Volatile.Read(ref _versions[i]);
                key = Volatile.Read(ref _keys[i]);
                value = Volatile.Read(ref _values[i]);
            }
            while ((before & 1) != 0 || before != Volatile.Read(ref _versions[i]));

            if (key == 0 || key == Tombstone || IsExpired(value, now, agingSeconds))
            {
                continue;
            }

            uint seen = (uint)(value >> 32);
            visit(key & 0xFFFF_FFFF_FFFFUL, (int)((key >> 48) & 0x7FFF), (int)(value & 0xFFFF), (value & StaticBit) != 0, now > seen ? now - seen : 0);
        }
    }

    private void Write(int slot, ulong key, ulong value)
    {
        Volatile.Write(ref _versions[slot], _versions[slot] + 1);
        Volatile.Write(ref _keys[slot], key);
        Volatile.Write(ref _values[slot], value);
        Volatile.Write(ref _versions[slot], _versions[slot] + 1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsExpired(ulong value, uint now, int agingSeconds) =>
        (value & StaticBit) == 0 && agingSeconds > 0 && now - (uint)(value >> 32) >= (uint)agingSeconds && now >= (uint)(value >> 32);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Key(ulong mac, int segment) => (mac & 0xFFFF_FFFF_FFFFUL) | ((ulong)(segment & 0x7FFF) << 48) | UsedBit;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Home(ulong key) => (int)((key * 0x9E37_79B9_7F4A_7C15UL) >> (64 - 13));

    public void Dispose() => NativeMemory.Free(_addresses);
}
