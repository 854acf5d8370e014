using System.Numerics;
using System.Runtime.CompilerServices;

namespace FastBridge.Rings;

/// <summary>
/// Bounded multi-producer multi-consumer queue of <see cref="int"/>, used as the packet pool's free list.
/// </summary>
/// <remarks>
/// Design: Dmitry Vyukov's bounded MPMC queue: each slot carries a sequence number that says whose turn it is, so
/// producers and consumers claim positions with one compare-and-swap on their own cursor and never wait on each other
/// except for the instant between a claim and its publish. Thread-safety: any number of threads on either side.
/// Performance: one CAS per operation on a cursor padded onto its own line; no allocation after construction.
/// </remarks>
internal sealed class MpmcIndexQueue
{
    private struct Slot
    {
        public long Sequence;
        public int Item;
    }

    private readonly Slot[] _slots;
    private readonly long _mask;
    private PaddedCursor _enqueue;
    private PaddedCursor _dequeue;

    public MpmcIndexQueue(int capacity)
    {
        if (capacity < 2 || !BitOperations.IsPow2(capacity))
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "Capacity must be a power of two >= 2.");
        }

        _slots = new Slot[capacity];
        _mask = capacity - 1;
        for (int i = 0; i < capacity; i++)
        {
            _slots[i].Sequence = i;
        }
    }

    public int Capacity => _slots.Length;

    public int Count => (int)Math.Max(0, Volatile.Read(ref _enqueue.Value) - Volatile.Read(ref _dequeue.Value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryEnqueue(int item)
    {
        long pos = Volatile.Read(ref _enqueue.Value);
        while (true)
        {
            ref Slot slot = ref _slots[pos & _mask];
            long seq = Volatile.Read(ref slot.Sequence);
            long diff = seq - pos;
            if (diff == 0)
            {
                if (Interlocked.CompareExchange(ref _enqueue.Value, pos + 1, pos) == pos)
                {
                    slot.Item = item;
                    Volatile.Write(ref slot.Sequence, pos + 1);
                    return true;
                }
            }
            else if (diff < 0)
            {
                return false;
            }

            pos = Volatile.Read(ref _enqueue.Value);
        }
    }

    /// <summary>
    /// Enqueues into a queue that by construction never holds more than its capacity (a free list of a fixed set of
    /// tokens). There a refused <see cref="TryEnqueue"/> does not mean "full": it means the consumer that last took
    /// this slot has claimed it but not yet released it (Vyukov's queue publishes in two steps), so this spins until
    /// it has. The window is a few instructions, unless that thread is preempted inside it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void EnqueueNeverFull(int item)
    {
        if (!TryEnqueue(item))
        {
            EnqueueSlow(item);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void EnqueueSlow(int item)
    {
        var spin = new SpinWait();
        while (!TryEnqueue(item))
        {
            spin.SpinOnce(sleep1Threshold: -1);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryDequeue(out int item)
    {
        long pos = Volatile.Read(ref _dequeue.Value);
        while (true)
        {
            ref Slot slot = ref _slots[pos & _mask];
            long seq = Volatile.Read(ref slot.Sequence);
            long diff = seq - (pos + 1);
            if (diff == 0)
            {
                if (Interlocked.CompareExchange(ref _dequeue.Value, pos + 1, pos) == pos)
                {
                    item = slot.Item;
                    Volatile.Write(ref slot.Sequence, pos + _mask + 1);
                    return true;
                }
            }
            else if (diff < 0)
            {
                item = 0;
                return false;
            }

            pos = Volatile.Read(ref _dequeue.Value);
        }
    }
}
