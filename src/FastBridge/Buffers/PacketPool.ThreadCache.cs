using System.Runtime.CompilerServices;

namespace FastBridge.Buffers;

/// <summary>
/// Per-worker caches of free small buffers in front of the shared free list (DPDK's mempool per-lcore cache).
/// </summary>
/// <remarks>
/// Why: the shared list is a FIFO over every buffer of the pool (16,384 x 2 KiB = 32 MiB by default), so a rent always
/// got the buffer released longest ago, cold in every cache: a 1518-byte frame copied into it cost 24 cache-line
/// misses, and the next copy out of it evicted something else. A worker's cache is a LIFO stack: the buffer it rents
/// is the one it released last (a worker that forwards a burst releases it in the same pass), so the few hundred
/// buffers in flight stay in the core's L2, and rent and release take no CAS (perf/RESULTS.md, "vhost-user: where the
/// cycles went").
/// Ownership: only threads that ask for one get a cache (<see cref="AttachThreadCache"/>: the dataplane workers, for
/// the lifetime of their thread); every other thread (TAP readers, the control thread, tests) rents and returns through
/// the shared list as before. A cache belongs to one thread and one pool; a buffer rented on one worker and released
/// on another goes into the releasing worker's cache, which returns its older half to the shared list when full, and a
/// worker whose cache is empty takes half a cache's worth from the shared list at once.
/// Accounting: <see cref="SmallAvailable"/> counts the cached buffers too (each cache's count is read with Volatile),
/// so "every buffer came back" holds as before once the workers are idle. A cache holds at most 1/64 of the small
/// buffers (256 at most), and small pools (under 1,024 buffers) get none: no worker can sit on a share of the pool that
/// would starve another.
/// Large buffers (64 KiB, TSO super-frames) have a LIFO of their own in the same cache, <see cref="LargeCacheSize"/>
/// deep, for the same reason: the shared list rotated through every large buffer (256 x 64 KiB = 16 MiB), so each
/// super-frame read from a TAP was copied into memory no cache held (the kernel's copy to user cost twice the
/// C floor's, which reads into one static buffer: perf/README.md, "TCP: where the missing quarter went"). A worker
/// that forwards super-frames now alternates between two large buffers that stay in its L2. Pools with fewer than 64
/// large buffers get no large cache.
/// </remarks>
public sealed unsafe partial class PacketPool
{
    private const int MaxCacheSize = 256;

    /// <summary>Large buffers one worker's cache holds at most (two alternate while it forwards a TCP stream).</summary>
    private const int LargeCacheSize = 4;

    [ThreadStatic]
    private static ThreadCache? s_threadCache;

    private readonly int _cacheSize;
    private readonly Lock _cachesLock = new();
    private ThreadCache[] _caches = [];

    /// <summary>Buffers sitting in the workers' caches right now (an estimate while they run; exact when they are idle).</summary>
    private int CachedSmall
    {
        get
        {
            int cached = 0;
            foreach (ThreadCache cache in Volatile.Read(ref _caches))
            {
                cached += Volatile.Read(ref cache.Count);
            }

            return cached;
        }
    }

    /// <summary>Large buffers sitting in the workers' caches right now (as <see cref="CachedSmall"/>).</summary>
    private int CachedLarge
    {
        get
        {
            int cached = 0;
            foreach (ThreadCache cache in Volatile.Read(ref _caches))
            {
                cached += Volatile.Read(ref cache.LargeCount);
            }

            return cached;
        }
    }

    private static int CacheSizeFor(int smallCount)
    {
        int size = Math.Min(MaxCacheSize, smallCount / 64);
        return size < 16 ? 0 : size;
    }

    /// <summary>
    /// Gives the calling thread a private cache of free small buffers of this pool, until <see cref="DetachThreadCache"/>
    /// on the same thread. For a thread that rents and releases at a high rate for a long time (a worker). Does
    /// nothing for a small pool, or when the thread has a cache already.
    /// </summary>
    internal void AttachThreadCache()
    {
        if (_cacheSize == 0 || s_threadCache is not null)
        {
            return;
        }

        var cache = new ThreadCache(this, _cacheSize, _largeCount >= 16 * LargeCacheSize ? LargeCacheSize : 0);
        lock (_cachesLock)
        {
            _caches = [.. _caches, cache];
        }

        s_threadCache = cache;
    }

    /// <summary>Returns the calling thread's cached buffers to the shared list and drops its cache.</summary>
    internal void DetachThreadCache()
    {
        ThreadCache? cache = s_threadCache;
        if (cache is null || cache.Pool != this)
        {
            return;
        }

        s_threadCache = null;
        while (cache.Count > 0)
        {
            int index = cache.Items[cache.Count - 1];
            _freeSmall.EnqueueNeverFull(index); // in the shared list before it leaves the cache's count: never counted zero times
            Volatile.Write(ref cache.Count, cache.Count - 1);
        }

        while (cache.LargeCount > 0)
        {
            _freeLarge.EnqueueNeverFull(cache.LargeItems[cache.LargeCount - 1]);
            Volatile.Write(ref cache.LargeCount, cache.LargeCount - 1);
        }

        lock (_cachesLock)
        {
            _caches = Array.FindAll(_caches, c => c != cache);
        }
    }

    /// <summary>The cache is empty (or this thread has none): take half a cache from the shared list, else one buffer.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool RentSmallSlow(ThreadCache? cache, out int index)
    {
        if (cache is null || cache.Pool != this)
        {
            return _freeSmall.TryDequeue(out index);
        }

        int[] items = cache.Items;
        int count = cache.Count;
        while (count < items.Length / 2 && _freeSmall.TryDequeue(out int taken))
        {
            items[count++] = taken;
        }

        if (count == 0)
        {
            index = -1;
            return false;
        }

        index = items[--count];
        Volatile.Write(ref cache.Count, count);
        return true;
    }

    /// <summary>A small buffer's last reference is gone: onto this thread's cache (its older half to the shared list when full), or the shared list.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ReturnSmall(int index)
    {
        ThreadCache? cache = s_threadCache;
        if (cache is not null && cache.Count < cache.Items.Length && cache.Pool == this)
        {
            cache.Items[cache.Count] = index;
            Volatile.Write(ref cache.Count, cache.Count + 1);
            return;
        }

        ReturnSmallSlow(cache, index);
    }

    /// <summary>
    /// Releases one reference of each of <paramref name="frames"/> (all of this pool), as <see cref="Release"/> does one
    /// by one, with the calling thread's cache read once for the whole burst: a thread-static read is a runtime helper
    /// call per frame otherwise (perf/RESULTS.md, "engmemo").
    /// </summary>
    internal void ReleaseAll(ReadOnlySpan<Packet> frames)
    {
        ThreadCache? cache = s_threadCache;
        int[]? items = cache is not null && cache.Pool == this ? cache.Items : null;
        for (int i = 0; i < frames.Length; i++)
        {
            int index = frames[i].Index;
            if (!DropReference(index))
            {
                continue;
            }

            if (index >= _smallCount)
            {
                ReturnLarge(index);
            }
            else if (items is not null && cache!.Count < items.Length)
            {
                items[cache.Count] = index;
                Volatile.Write(ref cache.Count, cache.Count + 1);
            }
            else
            {
                ReturnSmallSlow(cache, index);
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ReturnSmallSlow(ThreadCache? cache, int index)
    {
        if (cache is null || cache.Pool != this)
        {
            _freeSmall.EnqueueNeverFull(index);
            return;
        }

        // Full: the older half (the bottom of the stack, the coldest) goes back to the shared list.
        int[] items = cache.Items;
        int half = items.Length / 2;
        for (int i = 0; i < half; i++)
        {
            _freeSmall.EnqueueNeverFull(items[i]);
        }

        Array.Copy(items, half, items, 0, items.Length - half);
        items[items.Length - half] = index;
        Volatile.Write(ref cache.Count, items.Length - half + 1);
    }

    /// <summary>A large buffer: the one this thread released last when its cache has one, else from the shared list.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool RentLarge(out int index)
    {
        ThreadCache? cache = s_threadCache;
        if (cache is not null && cache.LargeCount > 0 && cache.Pool == this)
        {
            index = cache.LargeItems[cache.LargeCount - 1];
            Volatile.Write(ref cache.LargeCount, cache.LargeCount - 1);
            return true;
        }

        return _freeLarge.TryDequeue(out index);
    }

    /// <summary>A large buffer's last reference is gone: on top of this thread's cache (its oldest to the shared list when full).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ReturnLarge(int index)
    {
        ThreadCache? cache = s_threadCache;
        if (cache is null || cache.LargeItems.Length == 0 || cache.Pool != this)
        {
            _freeLarge.EnqueueNeverFull(index);
            return;
        }

        int[] items = cache.LargeItems;
        int count = cache.LargeCount;
        if (count == items.Length)
        {
            _freeLarge.EnqueueNeverFull(items[0]); // the coldest leaves; in the shared list before it leaves the count
            Volatile.Write(ref cache.LargeCount, --count);
            for (int i = 0; i < count; i++)
            {
                items[i] = items[i + 1];
            }
        }

        items[count] = index;
        Volatile.Write(ref cache.LargeCount, count + 1);
    }

    /// <summary>One thread's stacks of free small and large buffers of one pool.</summary>
    private sealed class ThreadCache(PacketPool pool, int size, int largeSize)
    {
        public readonly PacketPool Pool = pool;
        public readonly int[] Items = new int[size];
        public readonly int[] LargeItems = new int[largeSize];
        public int Count;
        public int LargeCount;
    }
}
