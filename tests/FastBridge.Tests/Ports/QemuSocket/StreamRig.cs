using FastBridge.Frames;
using FastBridge.Ports;
using FastBridge.Ports.QemuSocket;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Ports.QemuSocket;

/// <summary>A started bridge with memory ports p0, p1 and a stream port "s0" on a fresh socket path.</summary>
internal sealed class StreamRig : IDisposable
{
    public static readonly TimeSpan Timeout = BridgeHarness.Timeout;

    public StreamRig(int workers = 2, int ringSize = 1024)
    {
        Path = StreamPeer.NewPath();
        Harness = new BridgeHarness(2, workers);
        Port = StreamPort.Listen("s0", Path, new StreamPortOptions { RingSize = ringSize, Log = Log });
        Harness.Bridge.AddPort(Port);
    }

    public string Path { get; }

    public BridgeHarness Harness { get; }

    public StreamPort Port { get; }

    public ListLogger Log { get; } = new();

    public Bridge Bridge => Harness.Bridge;

    public PortCounters Counters(string name) => Bridge.ReadCounters().Ports.Single(p => p.Name == name);

    /// <summary>Connects a peer and waits until the port is up.</summary>
    public StreamPeer Connect()
    {
        var peer = StreamPeer.Connect(Path);
        Assert.True(EndToEnd.WaitFor(() => Port.State == PortState.Up, Timeout), $"port not up after connect: {Port.StateReason}");
        return peer;
    }

    public void WaitDown()
    {
        Assert.True(EndToEnd.WaitFor(() => Port.State == PortState.LinkDown, Timeout), "port still up after its peer left");
    }

    /// <summary>Waits until rx = forwarded + ingress drops and tx-offered = tx + egress drops on every port, and both are at least the minimums.</summary>
    public void AssertAccounted(long streamRx = 0)
    {
        bool balanced = EndToEnd.WaitFor(() => Bridge.ReadCounters().Ports.All(Balanced) && Counters("s0").RxFrames >= streamRx, Timeout);
        Assert.True(balanced, string.Join("\n", Bridge.ReadCounters().Ports.Select(p =>
            $"{p.Name}: rx {p.RxFrames} fwd {p.Forwarded} in-drops {p.IngressDrops} offered {p.TxOffered} tx {p.TxFrames} out-drops {p.EgressDrops}")));
    }

    private static bool Balanced(PortCounters p) => p.RxFrames == p.Forwarded + p.IngressDrops && p.TxOffered == p.TxFrames + p.EgressDrops;

    /// <summary>A 64-byte (or <paramref name="length"/>) frame from station <paramref name="from"/> to station <paramref name="to"/>.</summary>
    public static byte[] Frame(int to, int from, int length = 64, byte mark = 0) =>
        BridgeHarness.Frame(Stations.Address(to), Stations.Address(from), length, mark);

    public static byte[] Broadcast(int from, int length = 64) => BridgeHarness.Frame(MacAddress.Broadcast, Stations.Address(from), length);

    public void Dispose()
    {
        Harness.Dispose();
        Assert.False(File.Exists(Path), "the socket file outlived its port");
    }
}
