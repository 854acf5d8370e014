using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FastBridge.Cli.Commands;
using FastBridge.Control;
using FastBridge.Ports;

namespace FastBridge.Tests.Infrastructure;

/// <summary>
/// An in-process switch with two in-memory ports and a <see cref="ControlServer"/> on a unique socket under /tmp,
/// plus a background station pair that keeps frames flowing p0 &lt;-&gt; p1, so tests can check the dataplane never
/// stalls while the control plane is abused.
/// </summary>
internal sealed class ControlRig : IDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _traffic;

    public ControlRig(ControlServerOptions? options = null, Action<BridgeOptions>? configure = null)
    {
        var bridgeOptions = new BridgeOptions { Workers = 2, PoolFrames = 4096 };
        configure?.Invoke(bridgeOptions);
        Bridge = new Bridge(bridgeOptions);
        P0 = new MemoryPort("p0", discardTransmitted: true);
        P1 = new MemoryPort("p1", discardTransmitted: true);
        Bridge.AddPort(P0);
        Bridge.AddPort(P1);
        Bridge.Start();
        SocketPath = UniqueSocketPath();
        Server = ControlServer.Start(Bridge, SocketPath, options: options);
        _traffic = new Thread(Traffic) { IsBackground = true, Name = "control-rig traffic" };
        _traffic.Start();
    }

    public Bridge Bridge { get; }

    public MemoryPort P0 { get; }

    public MemoryPort P1 { get; }

    public ControlServer Server { get; }

    public string SocketPath { get; }

    public static string UniqueSocketPath() => $"/tmp/fbctl-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}.sock";

    public ControlClient Connect() => ControlClient.Connect(SocketPath);

    /// <summary>One request on a fresh connection; returns the parsed response line.</summary>
    public JsonElement Request(string json)
    {
        using ControlClient client = Connect();
        return Parse(client.RequestRawAsync(json).WaitAsync(Timeout).GetAwaiter().GetResult());
    }

    /// <summary>One request on an open client (optionally with a descriptor attached); the parsed response.</summary>
    public static JsonElement Ask(ControlClient client, string json, int fd = -1) =>
        Parse(client.RequestRawAsync(json, fd).WaitAsync(Timeout).GetAwaiter().GetResult());

    public static JsonElement Parse(string line) => JsonDocument.Parse(line).RootElement.Clone();

    public static void AssertOk(JsonElement response) =>
        Assert.True(response.GetProperty("ok").GetBoolean(), response.TryGetProperty("error", out JsonElement e) ? e.GetString() : response.ToString());

    public static string AssertError(JsonElement response)
    {
        Assert.False(response.GetProperty("ok").GetBoolean(), response.ToString());
        return response.GetProperty("error").GetString()!;
    }

    /// <summary>Asserts frames still cross the switch: p1 receives at least 20 more within the timeout.</summary>
    public void AssertForwarding()
    {
        long before = P1.Taken;
        Assert.True(EndToEnd.WaitFor(() => P1.Taken >= before + 20, Timeout), "the dataplane stopped forwarding");
    }

    /// <summary>A raw connected socket, for clients that misbehave on purpose.</summary>
    public Socket RawSocket()
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(SocketPath));
        return socket;
    }

    /// <summary>Reads one line from a raw socket, or null at end of stream / timeout.</summary>
    public static string? ReadLine(Socket socket, TimeSpan timeout)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        socket.ReceiveTimeout = (int)timeout.TotalMilliseconds;
        try
        {
            while (socket.Receive(one) == 1)
            {
                if (one[0] == '\n')
                {
                    return line.ToString();
                }

                line.Append((char)one[0]);
            }
        }
        catch (SocketException)
        {
        }

        return null;
    }

    private void Traffic()
    {
        byte[] toP1 = BridgeHarness.Frame(Stations.Address(2), Stations.Address(1));
        byte[] toP0 = BridgeHarness.Frame(Stations.Address(1), Stations.Address(2));
        while (!_stop.IsCancellationRequested)
        {
            P0.TryInject(toP1);
            P1.TryInject(toP0);
            Thread.Sleep(1);
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _traffic.Join();
        Server.Dispose();
        Bridge.Dispose();
        _stop.Dispose();
    }
}
