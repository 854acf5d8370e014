using FastBridge.Ports;
using FastBridge.Ports.QemuDgram;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Ports.QemuDgram;

/// <summary>A started bridge with memory ports p0, p1 and a dgram port "d0" bound to a fresh socket path.</summary>
internal sealed class DgramRig : IDisposable
{
    public static readonly TimeSpan Timeout = BridgeHarness.Timeout;

    public DgramRig(int workers = 2, string? fixedPeer = null)
    {
        Path = DgramPeer.NewPath();
        Harness = new BridgeHarness(2, workers);
        Port = DgramPort.Bind("d0", Path, new DgramPortOptions { Peer = fixedPeer });
        Harness.Bridge.AddPort(Port);
    }

    public string Path { get; }

    public BridgeHarness Harness { get; }

    public DgramPort Port { get; }

    public Bridge Bridge => Harness.Bridge;

    /// <summary>Broadcasts <see cref="Join"/> sent so far (usually one per join).</summary>
    public long JoinFrames { get; private set; }

    public PortCounters Counters(string name) => Harness.Counters(name);

    /// <summary>A peer that sends one broadcast from station <paramref name="station"/>; waits until the port is up and has learned it.</summary>
    public DgramPeer Join(int station = 10, string? ownPath = null)
    {
        var peer = new DgramPeer(Path, ownPath);

        // Sent again while not learned: the housekeeper forgets a dgram port's stations at each change of its state, so
        // a station learned from the very frame that brought the port up may be forgotten once (the next frame relearns it).
        long next = 0;
        Assert.True(EndToEnd.WaitFor(() =>
        {
            if (Environment.TickCount64 >= next)
            {
                peer.Send(Broadcast(from: station));
                JoinFrames++;
                next = Environment.TickCount64 + 300;
            }

            return Port.State == PortState.Up && Bridge.MacTable.Lookup(Stations.Mac(station), 0) == Port.Id;
        }, Timeout),
            $"port not up with station {station} learned: {Port.State} ({Port.StateReason})");
        Harness.Drain(0);
        Harness.Drain(1);
        return peer;
    }

    /// <summary>Waits until every port's books balance and d0 received at least <paramref name="dgramRx"/>.</summary>
    public void AssertAccounted(long dgramRx = 0) => Harness.AssertAccounted("d0", dgramRx);

    /// <summary>A 64-byte (or <paramref name="length"/>) frame from station <paramref name="from"/> to station <paramref name="to"/>.</summary>
    public static byte[] Frame(int to, int from, int length = 64, byte mark = 0) => BridgeHarness.StationFrame(to, from, length, mark);

    public static byte[] Broadcast(int from, int length = 64) => BridgeHarness.StationBroadcast(from, length);

    public void Dispose()
    {
        Harness.Dispose();
        Assert.False(File.Exists(Path), "the socket file outlived its port");
    }
}
