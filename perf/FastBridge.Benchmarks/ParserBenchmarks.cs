using BenchmarkDotNet.Attributes;
using FastBridge.Buffers;
using FastBridge.Frames;

namespace FastBridge.Benchmarks;

/// <summary>
/// <see cref="FrameParser"/> on one receive burst: 64 frames of 64 bytes, half untagged and half 802.1Q-tagged in a
/// fixed pseudo-random order (so the tag branch is not trivially predictable), scalar path against Vector128 path.
/// Results read per frame (OperationsPerInvoke = burst size).
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory(Categories.Parser)]
public class ParserBenchmarks
{
    private const int Burst = 64;

    private PacketPool _pool = null!;
    private Packet[] _frames = null!;
    private FrameInfo[] _infos = null!;

    [GlobalSetup]
    public void Setup()
    {
        _pool = new PacketPool(Burst, 0);
        _frames = new Packet[Burst];
        _infos = new FrameInfo[Burst];
        var random = new Random(42);
        for (int i = 0; i < Burst; i++)
        {
            ushort? vlan = random.Next(2) == 0 ? null : (ushort)(1 + random.Next(4094));
            byte[] frame = Frames.Build(Frames.Station(1 + random.Next(1000)), Frames.Station(2000 + i), 64, vlan);
            if (!_pool.TryRentCopy(frame, out _frames[i]))
            {
                throw new InvalidOperationException("pool exhausted");
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _pool.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = Burst)]
    [BenchmarkCategory(Categories.Parser)]
    public ulong Scalar()
    {
        FrameParser.ParseBurstScalar(_frames, _infos);
        return _infos[Burst - 1].Destination ^ _infos[0].VlanId;
    }

    [Benchmark(OperationsPerInvoke = Burst)]
    [BenchmarkCategory(Categories.Parser)]
    public ulong Vector128()
    {
        FrameParser.ParseBurstVector128(_frames, _infos);
        return _infos[Burst - 1].Destination ^ _infos[0].VlanId;
    }
}
