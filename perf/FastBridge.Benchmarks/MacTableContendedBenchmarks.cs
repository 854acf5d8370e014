using BenchmarkDotNet.Attributes;
using FastBridge.Switching;

namespace FastBridge.Benchmarks;

/// <summary>
/// One writer, concurrent readers: a background thread keeps moving the very stations the measured thread looks up
/// (every learn is a compare-and-swap that takes the slot's cache line away from the reader), as a worker learning a
/// migrating VM's MAC does to the workers forwarding to it. Compare with <see cref="MacTableBenchmarks.Lookup"/> at
/// 64K, which has no writer. Results read per lookup. Needs a second core for the writer.
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory(Categories.MacTable)]
public class MacTableContendedBenchmarks
{
    private const int Entries = 65_536;

    private MacTable _table = null!;
    private ulong[] _keys = null!;
    private Thread? _writer;
    private volatile bool _stop;
    private long _writes;

    [GlobalSetup]
    public void Setup()
    {
        (_table, _keys, _) = MacTableBenchmarks.Fill(Entries);
        _stop = false;
        _writer = new Thread(Write) { IsBackground = true, Name = "mactable-writer" };
        _writer.Start();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _stop = true;
        _writer?.Join();
        Console.WriteLine($"// writer learned {Interlocked.Read(ref _writes):N0} times");
    }

    private void Write()
    {
        MacTable table = _table;
        ulong[] keys = _keys;
        long writes = 0;
        for (int round = 0; !_stop; round++)
        {
            for (int i = 0; i < keys.Length; i++)
            {
                table.Learn(keys[i], 0, (i + round) & 3);
            }

            writes += keys.Length;
            Volatile.Write(ref _writes, writes);
        }
    }

    [Benchmark(OperationsPerInvoke = MacTableBenchmarks.Probes)]
    [BenchmarkCategory(Categories.MacTable)]
    public int LookupWhileWriterLearns()
    {
        MacTable table = _table;
        ulong[] keys = _keys;
        int sum = 0;
        for (int i = 0; i < keys.Length; i++)
        {
            sum += table.Lookup(keys[i], 0);
        }

        return sum;
    }
}
