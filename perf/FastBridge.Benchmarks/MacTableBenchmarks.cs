using BenchmarkDotNet.Attributes;
using FastBridge.Switching;

namespace FastBridge.Benchmarks;

/// <summary>
/// <see cref="MacTable"/> per operation at 1K, 64K and 1M stations: <c>Lookup</c> of a known station and
/// <c>Learn</c> of a known station on its own port (a refresh within the same second, which writes nothing). The keys
/// probed are 4,096 stations drawn with a fixed seed from the whole table, so at 1M entries (a 32 MiB slot array) most
/// probes miss the caches, as a big L2 domain's would. Results read per operation.
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory(Categories.MacTable)]
public class MacTableBenchmarks
{
    internal const int Probes = 4096;

    private MacTable _table = null!;
    private ulong[] _keys = null!;
    private int[] _ports = null!;

    [Params(1_024, 65_536, 1_048_576)]
    public int Entries { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        (_table, _keys, _ports) = Fill(Entries);
    }

    /// <summary>A table holding <paramref name="entries"/> stations, station i on port i % 4, and a fixed sample of them.</summary>
    internal static (MacTable Table, ulong[] Keys, int[] Ports) Fill(int entries)
    {
        var table = new MacTable(entries, agingSeconds: 300);
        for (int i = 0; i < entries; i++)
        {
            if (table.Learn(Frames.Station(i), 0, i % 4) != LearnResult.Learned)
            {
                throw new InvalidOperationException($"station {i} not learned");
            }
        }

        var random = new Random(42);
        ulong[] keys = new ulong[Probes];
        int[] ports = new int[Probes];
        for (int i = 0; i < Probes; i++)
        {
            int station = random.Next(entries);
            keys[i] = Frames.Station(station);
            ports[i] = station % 4;
        }

        return (table, keys, ports);
    }

    [Benchmark(OperationsPerInvoke = Probes)]
    [BenchmarkCategory(Categories.MacTable)]
    public int Lookup()
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

    [Benchmark(OperationsPerInvoke = Probes)]
    [BenchmarkCategory(Categories.MacTable)]
    public int LearnRefresh()
    {
        MacTable table = _table;
        ulong[] keys = _keys;
        int[] ports = _ports;
        int sum = 0;
        for (int i = 0; i < keys.Length; i++)
        {
            sum += (int)table.Learn(keys[i], 0, ports[i]);
        }

        return sum;
    }
}
