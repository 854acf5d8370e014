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

    public PortCounters Counters(string name) => Harness.Counters(name);

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

    /// <summary>Waits until every port's books balance and s0 received at least <paramref name="streamRx"/>.</summary>
    public void AssertAccounted(long streamRx = 0) => Harness.AssertAccounted("s0", streamRx);

    /// <summary>A 64-byte (or <paramref name="length"/>) frame from station <paramref name="from"/> to station <paramref name="to"/>.</summary>
    public static byte[] Frame(int to, int from, int length = 64, byte mark = 0) => BridgeHarness.StationFrame(to, from, length, mark);

    public static byte[] Broadcast(int from, int length = 64) => BridgeHarness.StationBroadcast(from, length);

    public void Dispose()
    {
        Harness.Dispose();
        Assert.False(File.Exists(Path), "the socket file outlived its port");
    }
}
