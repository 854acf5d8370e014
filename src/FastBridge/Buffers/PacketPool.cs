using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FastBridge.Offloads;
using FastBridge.Rings;

namespace FastBridge.Buffers;

/// <summary>
/// Preallocated frame buffers in two size classes, handed out as <see cref="Packet"/> indices.
/// </summary>
/// <remarks>
/// Design: one native slab per class, allocated once and never moved, so buffers can go straight to system calls
/// (Snabb's packet freelist, VPP's buffer indices). Small buffers (<see cref="SmallBufferSize"/>) hold every frame of
/// an ordinary MTU; a few large ones (<see cref="LargeBufferSize"/>) hold frames up to 64 KiB (jumbo frames and GSO
/// super-frames), so the pool does not reserve 64 KiB per frame. Index i below the small count is small, else
/// large. Each buffer has a length, a reference count and its offload metadata
/// (<see cref="OffloadInfo"/>: pending checksum, GSO super-frame; 10 bytes, reset on rent) in flat arrays; a flood to N ports sets the count to N instead
/// of copying the frame N times.
/// Thread-safety: renting and releasing are lock-free (an MPMC free list per class), from any thread. A buffer's
/// length is written only by its single owner before it is shared.
/// Safety: the slabs are native memory allocated in the constructor and freed only in Dispose, which the bridge calls
/// after every worker stopped and every port was disposed; <c>PointerOf</c> and the spans over it are only handed out for
/// indices the free lists gave out, so no pointer reaches outside a slab or into a freed one.
/// Performance: no allocation after construction; one CAS to rent and one to release; an interlocked decrement only
/// while the frame is shared (a flood), the sole holder releases with plain stores.
/// A worker thread rents and returns small buffers through a private LIFO cache in front of the shared list
/// (<c>PacketPool.ThreadCache.cs</c>): no CAS, and the buffer it gets is the one it released last, still in its cache.
/// </remarks>
public sealed unsafe partial class PacketPool : IDisposable
{
    /// <summary>Bytes of a small buffer: a 1500-byte MTU frame with two VLAN tags and a virtio-net header fits.</summary>
    public const int SmallBufferSize = 2048;

    /// <summary>Longest frame the switch accepts (64 KiB); longer ones are dropped as oversize.</summary>
    public const int MaxFrameLength = 65536;

    /// <summary>Bytes of a large buffer: <see cref="MaxFrameLength"/> plus room for headers added in front.</summary>
    public const int LargeBufferSize = MaxFrameLength + 256;

    /// <summary>
    /// Bytes of the slab in front of every buffer, outside its capacity: a TAP port reads or writes a frame's
    /// virtio-net header there, so header and frame are one contiguous piece for the kernel (one buffer, no iovec to
    /// import: docs/tap-io.md). Only the sole holder of a frame (reference count 1) may write it.
    /// </summary>
    internal const int Headroom = 64;

    private const int SmallStride = SmallBufferSize + Headroom;
    private const int LargeStride = LargeBufferSize + Headroom;

    private readonly byte* _small;
    private readonly byte* _large;
    private readonly int _smallCount;
    private readonly int _largeCount;
    private readonly int[] _length;
    private readonly int[] _refCount;
    private readonly OffloadInfo[] _offload;
    private volatile bool _offloadsSeen;
    private readonly MpmcIndexQueue _freeSmall;
    private readonly MpmcIndexQueue _freeLarge;
    private int _disposed;

    public PacketPool(int smallCount = 16384, int largeCount = 64)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(smallCount, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(largeCount, 0);
        _smallCount = smallCount;
        _largeCount = largeCount;
        _small = (byte*)NativeMemory.AlignedAlloc((nuint)smallCount * SmallStride, 4096);
        _large = largeCount > 0 ? (byte*)NativeMemory.AlignedAlloc((nuint)largeCount * LargeStride, 4096) : null;
        _length = new int[smallCount + largeCount];
        _refCount = new int[smallCount + largeCount];
        _offload = new OffloadInfo[smallCount + largeCount];
        // Twice the buffers, so a release almost never meets a slot whose last taker is still mid-dequeue.
        _freeSmall = new MpmcIndexQueue((int)BitOperations.RoundUpToPowerOf2((uint)smallCount * 2));
        _freeLarge = new MpmcIndexQueue((int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(2, largeCount) * 2));
        _cacheSize = CacheSizeFor(smallCount);
        for (int i = 0; i < smallCount; i++)
        {
            _freeSmall.TryEnqueue(i);
        }

        for (int i = 0; i < largeCount; i++)
        {
            _freeLarge.TryEnqueue(smallCount + i);
        }
    }

    public int SmallCount => _smallCount;

    public int LargeCount => _largeCount;

    /// <summary>Buffers of each class not rented right now.</summary>
    public int SmallAvailable => _freeSmall.Count + CachedSmall;

    public int LargeAvailable => _freeLarge.Count + CachedLarge;

    /// <summary>Rents a buffer that holds at least <paramref name="minCapacity"/> bytes, with one reference.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryRent(int minCapacity, out Packet packet)
    {
        int index;
        bool ok;
        if (minCapacity <= SmallBufferSize)
        {
            ThreadCache? cache = s_threadCache;
            if (cache is not null && cache.Count > 0 && cache.Pool == this)
            {
                index = cache.Items[--cache.Count]; // the last one this thread released: still in its cache
                ok = true;
            }
            else
            {
                ok = RentSmallSlow(cache, out index);
            }
        }
        else
        {
            ok = minCapacity <= LargeBufferSize ? RentLarge(out index) : Fail(out index);
        }

        if (!ok)
        {
            packet = default;
            return false;
        }

        _refCount[index] = 1;
        _length[index] = 0;
        if (_offloadsSeen)
        {
            _offload[index] = default; // before any metadata was ever written every entry is still default
        }
        packet = new Packet(this, index);
        return true;
    }

    /// <summary>Rents a small buffer and copies <paramref name="frame"/> into it (a large one when it does not fit).</summary>
    public bool TryRentCopy(ReadOnlySpan<byte> frame, out Packet packet)
    {
        if (!TryRent(frame.Length, out packet))
        {
            return false;
        }

        frame.CopyTo(packet.Buffer);
        packet.SetLength(frame.Length);
        return true;
    }

    private static bool Fail(out int index)
    {
        index = -1;
        return false;
    }

    internal int CapacityOf(int index) => index < _smallCount ? SmallBufferSize : LargeBufferSize;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal int LengthOf(int index) => _length[index];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void SetLength(int index, int length)
    {
        if ((uint)length > (uint)CapacityOf(index))
        {
            ThrowHelper.ThrowLengthOutOfRange(length);
        }

        _length[index] = length;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal byte* PointerOf(int index) => index < _smallCount
        ? _small + ((nint)index * SmallStride) + Headroom
        : _large + ((nint)(index - _smallCount) * LargeStride) + Headroom;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal Span<byte> SpanOf(int index, int length) => new(PointerOf(index), length);

    /// <summary>
    /// The offload metadata of a buffer. Taking the reference (to write or to read) also records that this pool has
    /// seen offload metadata at all, before the packet can reach another thread; until then
    /// <see cref="OffloadsSeen"/> lets the transmit path skip reading every frame's metadata (perf/README.md: that read
    /// cost 12 ns per frame on bridges that never carry offloads).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ref OffloadInfo OffloadOf(int index)
    {
        if (!_offloadsSeen)
        {
            _offloadsSeen = true;
        }

        return ref _offload[index];
    }

    /// <summary>False until any frame of this pool had its offload metadata touched; then it stays true.</summary>
    internal bool OffloadsSeen => _offloadsSeen;

    internal Packet FromIndex(int index) => new(this, index);

    internal int RefCountOf(int index) => Volatile.Read(ref _refCount[index]);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void AddRef(int index, int count) => Interlocked.Add(ref _refCount[index], count);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Release(int index)
    {
        if (DropReference(index))
        {
            // Never full: each list holds at most its own buffers (a double release fails fast, never enqueues twice).
            if (index < _smallCount)
            {
                ReturnSmall(index);
            }
            else
            {
                ReturnLarge(index);
            }
        }
    }

    /// <summary>Drops one reference of buffer <paramref name="index"/>; true when it was the last (the buffer is free).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool DropReference(int index)
    {
        // The last holder (count 1, the usual unicast case) needs no atomic: nobody else holds a reference that could
        // add or drop one concurrently (DPDK's rte_pktmbuf_prefree_seg does the same). The store of 0 precedes the
        // free-list publish, so a later renter's store of 1 wins; a second release still sees 0 and fails fast below.
        ref int references = ref _refCount[index];
        int left;
        if (Volatile.Read(ref references) == 1)
        {
            references = 0;
            left = 0;
        }
        else
        {
            left = Interlocked.Decrement(ref references);
        }

        if (left < 0)
        {
            ThrowHelper.FailFast("packet released more often than referenced");
        }

        return left == 0;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        NativeMemory.AlignedFree(_small);
        if (_large != null)
        {
            NativeMemory.AlignedFree(_large);
        }
    }
}
