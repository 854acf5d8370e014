using FastBridge.Frames;
using FastBridge.Ports;

namespace FastBridge.Tests.Infrastructure;

/// <summary>
/// A started bridge with in-memory ports p0..pN-1, frame helpers, and condition waits: the "config" of a scenario.
/// </summary>
internal sealed partial class BridgeHarness : IDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public BridgeHarness(int ports, int workers = 2, Action<BridgeOptions>? configure = null, int queueSize = 1024)
    {
        var options = new BridgeOptions { Workers = workers, PoolFrames = 8192 };
        configure?.Invoke(options);
        Bridge = new Bridge(options);
        Ports = new MemoryPort[ports];
        for (int i = 0; i < ports; i++)
        {
            Ports[i] = new MemoryPort($"p{i}", queueSize);
            Bridge.AddPort(Ports[i]);
        }

        Bridge.Start();
    }

    public Bridge Bridge { get; }

    public MemoryPort[] Ports { get; }

    /// <summary>
    /// An untagged IPv4 frame of <paramref name="length"/> bytes (at least the 14-byte header) from
    /// <see cref="FrameBuilder"/>, whose payload starts with <paramref name="mark"/> (the pattern's seed).
    /// </summary>
    public static byte[] Frame(MacAddress dst, MacAddress src, int length = 64, byte mark = 0) =>
        FrameBuilder.Untagged(dst, src, payloadLength: Math.Max(length, FrameParser.HeaderLength) - FrameParser.HeaderLength, seed: mark);

    public void Inject(int port, byte[] frame) =>
        Assert.True(Ports[port].TryInject(frame), $"inject into p{port} refused");

    /// <summary>Waits until every frame injected so far has been received and processed by the workers.</summary>
    public void Settle()
    {
        bool settled = EndToEnd.WaitFor(() =>
        {
            var counters = Bridge.ReadCounters();
            long injected = 0;
            long received = 0;
            long offered = 0;
            long done = 0;
            foreach (MemoryPort port in Ports)
            {
                if (port.Id >= 0)
                {
                    injected += port.Injected;
                }
            }

            foreach (var port in counters.Ports)
            {
                received += port.RxFrames;
                offered += port.TxOffered;
                done += port.TxFrames + port.EgressDrops;
            }

            return received == injected && offered == done;
        }, Timeout);
        Assert.True(settled, "bridge did not settle");
    }

    /// <summary>Takes every frame waiting on a port.</summary>
    public List<byte[]> Drain(int port)
    {
        var frames = new List<byte[]>();
        while (Ports[port].TakeArray() is { } frame)
        {
            frames.Add(frame);
        }

        return frames;
    }

    public void Dispose() => Bridge.Dispose();
}
