using BenchmarkDotNet.Attributes;
using FastBridge.Buffers;
using FastBridge.Dataplane;
using FastBridge.Ports;

namespace FastBridge.Benchmarks;

/// <summary>
/// The whole switching decision on one core, without I/O: a worker of a bridge that is not started (so its thread
/// never runs) is handed a burst of 64 frames of 64 bytes as if it had just received them, and parses, learns,
/// looks up, stages and enqueues them into the output rings; then the benchmark drains every port's rings with
/// <c>TransmitQueued</c>, which releases each frame (the ports are <see cref="MemoryPort"/> sinks that only count).
/// Setup: 1 worker, 4 ports, 1,024 stations (station s behind port s % 4, all learned beforehand); each burst comes in
/// on one port (the ingress rotates over the four) from stations behind it to stations behind the others.
/// <c>Unicast</c> is known unicast (one copy per frame), a random source and destination per frame; <c>UnicastOneFlow</c>
/// is known unicast where every frame of a burst has the same source and destination (one flow each way, as in the
/// vhost-user loop: testpmd's io forwarding), which the worker's per-burst lookup memo answers without the table;
/// <c>Flood</c> is broadcast (three copies per frame).
/// The frames are built once and kept alive by one extra reference taken before each call, because the worker
/// releases one reference per frame per copy; that AddRef is the only work here a real receive would not do.
/// Results read per frame: 1e3 / (ns per frame) = Mpps per core. Target: >= 30 Mpps (VPP's L2 bridge ~23).
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory(Categories.Switching)]
public class SwitchingBenchmarks
{
    private const int Burst = 64;
    private const int PortCount = 4;
    private const int Stations = 1024;
    private const int FrameLength = 64;

    private Bridge _bridge = null!;
    private Worker _worker = null!;
    private PortSlot[] _slots = null!;
    private MemoryPort[] _ports = null!;
    private Packet[][] _unicast = null!;
    private Packet[][] _flood = null!;
    private Packet[][] _oneFlow = null!;
    private int _next;

    /// <summary>The bridge under test (for variants that attach something to it after <see cref="Setup"/>).</summary>
    protected Bridge Switch => _bridge;

    [GlobalSetup]
    public virtual void Setup()
    {
        _bridge = new Bridge(new BridgeOptions { Workers = 1, BurstSize = Burst, AgingSeconds = 300, StormLimit = 0 });
        _ports = new MemoryPort[PortCount];
        _slots = new PortSlot[PortCount];
        for (int p = 0; p < PortCount; p++)
        {
            _ports[p] = new MemoryPort($"m{p}", discardTransmitted: true);
            _bridge.AddPort(_ports[p]);
            _slots[p] = _bridge.SlotOf(_ports[p]) ?? throw new InvalidOperationException("port has no slot");
        }

        _worker = _bridge.Workers[0];
        for (int s = 0; s < Stations; s++)
        {
            _bridge.MacTable.Learn(Frames.Station(s), 0, _ports[s % PortCount].Id);
        }

        var random = new Random(42);
        _unicast = new Packet[PortCount][];
        _flood = new Packet[PortCount][];
        _oneFlow = new Packet[PortCount][];
        for (int p = 0; p < PortCount; p++)
        {
            _unicast[p] = new Packet[Burst];
            _flood[p] = new Packet[Burst];
            _oneFlow[p] = new Packet[Burst];
            int flowSource = (random.Next(Stations / PortCount) * PortCount) + p;
            int flowDestination = (random.Next(Stations / PortCount) * PortCount) + ((p + 1) % PortCount);
            for (int i = 0; i < Burst; i++)
            {
                int source = (random.Next(Stations / PortCount) * PortCount) + p;
                int destination = (random.Next(Stations / PortCount) * PortCount) + ((p + 1 + random.Next(PortCount - 1)) % PortCount);
                _unicast[p][i] = Rent(Frames.Build(Frames.Station(destination), Frames.Station(source), FrameLength));
                _flood[p][i] = Rent(Frames.Build(0xFFFF_FFFF_FFFFUL, Frames.Station(source), FrameLength));
                _oneFlow[p][i] = Rent(Frames.Build(Frames.Station(flowDestination), Frames.Station(flowSource), FrameLength));
            }
        }

        // Every frame must come out where it should: one copy per unicast frame, three per broadcast.
        Check(Unicast, Burst);
        Check(UnicastOneFlow, Burst);
        Check(Flood, Burst * (PortCount - 1));
    }

    private Packet Rent(byte[] frame) =>
        _bridge.Pool.TryRentCopy(frame, out Packet packet) ? packet : throw new InvalidOperationException("pool exhausted");

    private void Check(Func<int> benchmark, int expected)
    {
        for (int round = 0; round < PortCount; round++)
        {
            int available = _bridge.Pool.SmallAvailable;
            long before = Taken();
            int moved = benchmark();
            if (moved != expected || Taken() - before != expected || _bridge.Pool.SmallAvailable != available)
            {
                throw new InvalidOperationException(
                    $"burst moved {moved}, ports took {Taken() - before}, expected {expected}; pool {available} -> {_bridge.Pool.SmallAvailable}");
            }
        }
    }

    private long Taken()
    {
        long taken = 0;
        foreach (MemoryPort port in _ports)
        {
            taken += port.Taken;
        }

        return taken;
    }

    [GlobalCleanup]
    public void Cleanup() => _bridge.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = Burst)]
    [BenchmarkCategory(Categories.Switching)]
    public int Unicast() => SwitchAndDrain(_unicast);

    [Benchmark(OperationsPerInvoke = Burst)]
    [BenchmarkCategory(Categories.Switching)]
    public int UnicastOneFlow() => SwitchAndDrain(_oneFlow);

    [Benchmark(OperationsPerInvoke = Burst)]
    [BenchmarkCategory(Categories.Switching)]
    public int Flood() => SwitchAndDrain(_flood);

    private int SwitchAndDrain(Packet[][] bursts)
    {
        int p = _next;
        _next = (p + 1) & (PortCount - 1);
        Packet[] burst = bursts[p];
        for (int i = 0; i < burst.Length; i++)
        {
            burst[i].AddRef();
        }

        Worker worker = _worker;
        worker.SwitchBurst(_slots[p], burst);
        int moved = 0;
        PortSlot[] slots = _slots;
        for (int s = 0; s < slots.Length; s++)
        {
            moved += worker.TransmitQueued(slots[s]);
        }

        return moved;
    }
}
