using System.Numerics;
using System.Runtime.CompilerServices;

namespace FastBridge.Rings;

/// <summary>
/// Bounded single-producer single-consumer ring of <see cref="int"/> (packet indices).
/// </summary>
/// <remarks>
/// Design: power-of-two capacity, free-running 64-bit cursors (no wrap ambiguity), each on its own padded line. Each
/// side keeps a private copy of the other side's cursor and re-reads the shared one only when the copy says full or
/// empty, so in steady state a burst touches one shared line per side (Disruptor-net's cached gating sequence).
/// Thread-safety: exactly one producer thread and one consumer thread at a time. The producer publishes slots with a
/// release store of its cursor (<c>Volatile.Write</c>) after writing them; the consumer
/// acquires it with <c>Volatile.Read</c> before reading them, and the converse for freeing slots.
/// Performance: batch calls move a whole burst with one acquire and one release. A full ring refuses: the caller
/// drops and counts; nothing here ever waits.
/// </remarks>
internal sealed class SpscRing
{
    private readonly int[] _slots;
    private readonly long _mask;
    private PaddedCursor _head;          // next slot to read; written by the consumer
    private PaddedCursor _tail;          // next slot to write; written by the producer
    private PaddedCursor _producerCachedHead;
    private PaddedCursor _consumerCachedTail;

    public SpscRing(int capacity)
    {
        if (capacity < 2 || !BitOperations.IsPow2(capacity))
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "Ring capacity must be a power of two >= 2.");
        }

        _slots = new int[capacity];
        _mask = capacity - 1;
    }

    public int Capacity => _slots.Length;

    /// <summary>Approximate number of queued items (exact when called from either side while the other is idle).</summary>
    public int Count => (int)(Volatile.Read(ref _tail.Value) - Volatile.Read(ref _head.Value));

    /// <summary>Producer side: enqueue one item; false when full.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryEnqueue(int item)
    {
        long tail = _tail.Value;
        if (tail - _producerCachedHead.Value >= _slots.Length)
        {
            _producerCachedHead.Value = Volatile.Read(ref _head.Value);
            if (tail - _producerCachedHead.Value >= _slots.Length)
            {
                return false;
            }
        }

        _slots[tail & _mask] = item;
        Volatile.Write(ref _tail.Value, tail + 1);
        return true;
    }

    /// <summary>Producer side: enqueue as many of <paramref name="items"/> as fit, in order; returns how many.</summary>
    public int TryEnqueueMany(ReadOnlySpan<int> items)
    {
        long tail = _tail.Value;
        long free = _slots.Length - (tail - _producerCachedHead.Value);
        if (free < items.Length)
        {
            _producerCachedHead.Value = Volatile.Read(ref _head.Value);
            free = _slots.Length - (tail - _producerCachedHead.Value);
        }

        int n = (int)Math.Min(free, items.Length);
        for (int i = 0; i < n; i++)
        {
            _slots[(tail + i) & _mask] = items[i];
        }

        if (n > 0)
        {
            Volatile.Write(ref _tail.Value, tail + n);
        }

        return n;
    }

    /// <summary>Consumer side: dequeue one item; false when empty.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryDequeue(out int item)
    {
        long head = _head.Value;
        if (head >= _consumerCachedTail.Value)
        {
            _consumerCachedTail.Value = Volatile.Read(ref _tail.Value);
            if (head >= _consumerCachedTail.Value)
            {
                item = 0;
                return false;
            }
        }

        item = _slots[head & _mask];
        Volatile.Write(ref _head.Value, head + 1);
        return true;
    }

    /// <summary>Consumer side: dequeue up to <c>into.Length</c> items in order; returns how many.</summary>
    public int TryDequeueMany(Span<int> into)
    {
        long head = _head.Value;
        long available = _consumerCachedTail.Value - head;
        if (available < into.Length)
        {
            _consumerCachedTail.Value = Volatile.Read(ref _tail.Value);
            available = _consumerCachedTail.Value - head;
        }

        int n = (int)Math.Min(available, into.Length);
        for (int i = 0; i < n; i++)
        {
            into[i] = _slots[(head + i) & _mask];
        }

        if (n > 0)
        {
            Volatile.Write(ref _head.Value, head + n);
        }

        return n;
    }

    /// <summary>Consumer side: true when nothing is queued (re-reads the producer's cursor).</summary>
    public bool IsEmpty => _head.Value >= Volatile.Read(ref _tail.Value);
}
