using BenchmarkDotNet.Attributes;
using FastBridge.Rings;

namespace FastBridge.Benchmarks;

/// <summary>
/// <see cref="SpscRing"/>: one enqueue and one dequeue on the same thread (the cost of the ring's own instructions,
/// without cross-core traffic), one item at a time and in batches of 32 as the worker hands off a staged burst.
/// Results read per item.
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory(Categories.Rings)]
public class RingBenchmarks
{
    private const int Batch = 32;

    private SpscRing _ring = null!;
    private int[] _items = null!;
    private int[] _out = null!;

    [GlobalSetup]
    public void Setup()
    {
        _ring = new SpscRing(1024);
        _items = new int[Batch];
        _out = new int[Batch];
        for (int i = 0; i < Batch; i++)
        {
            _items[i] = i * 7;
        }
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory(Categories.Rings)]
    public int Single()
    {
        _ring.TryEnqueue(12345);
        _ring.TryDequeue(out int item);
        return item;
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    [BenchmarkCategory(Categories.Rings)]
    public int Batched32()
    {
        int queued = _ring.TryEnqueueMany(_items);
        int taken = _ring.TryDequeueMany(_out);
        return queued + taken + _out[Batch - 1];
    }
}
