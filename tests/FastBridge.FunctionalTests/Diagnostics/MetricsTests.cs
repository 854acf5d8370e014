using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using FastBridge.Cli.Metrics;
using FastBridge.Diagnostics;
using FastBridge.Frames;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Diagnostics;

/// <summary>The FastBridge meter: observable instruments over the workers' counters, and their Prometheus endpoint.</summary>
public sealed class MetricsTests
{
    [Fact]
    public void A_meter_listener_sees_port_counters_move_with_traffic()
    {
        using var h = new BridgeHarness(3);
        var seen = new Dictionary<(string Instrument, string? Port), long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, h.Bridge.Metrics.Meter))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string? port = null;
            string? reason = null;
            foreach (var tag in tags)
            {
                port = tag.Key == "port" ? tag.Value as string : port;
                reason = tag.Key == "reason" ? tag.Value as string : reason;
            }

            seen[(reason is null ? instrument.Name : $"{instrument.Name}/{reason}", port)] = value;
        });
        listener.Start();

        for (int i = 0; i < 5; i++)
        {
            h.Inject(0, BridgeHarness.Frame(MacAddress.Broadcast, Stations.Address(1), 100));
        }

        h.Inject(1, new byte[10]); // a runt
        h.Settle();
        // A snapshot is reused for 100 ms, so a read right after Settle may still show the earlier one.
        Assert.True(EndToEnd.WaitFor(() =>
        {
            listener.RecordObservableInstruments();
            return seen.GetValueOrDefault(("port.drops/runt", "p1")) == 1 && seen.GetValueOrDefault(("port.rx.frames", "p0")) == 5;
        }, BridgeHarness.Timeout));

        Assert.Equal(5, seen[("port.rx.frames", "p0")]);
        Assert.Equal(500, seen[("port.rx.bytes", "p0")]);
        Assert.Equal(5, seen[("port.tx.frames", "p2")]);
        Assert.Equal(5, seen[("port.flooded", "p0")]);
        Assert.Equal(1, seen[("port.drops/runt", "p1")]);
        Assert.Equal(1, seen[("mac.learned", null)]);
        Assert.Equal(1, seen[("mac.entries", null)]);
        Assert.Equal(8192, seen[("mac.capacity", null)]);
    }

    [Fact]
    public async Task The_prometheus_endpoint_serves_the_counters_on_loopback()
    {
        // A name of its own: the endpoint exports every FastBridge meter in the process, and other tests' bridges are fb0.
        string name = $"prom{Environment.TickCount64 % 100000}";
        using var h = new BridgeHarness(2, configure: o => o.Name = name);
        for (int i = 0; i < 3; i++)
        {
            h.Inject(0, BridgeHarness.Frame(MacAddress.Broadcast, Stations.Address(1)));
        }

        h.Settle();
        using PrometheusEndpoint endpoint = PrometheusEndpoint.Start(new IPEndPoint(IPAddress.Loopback, FreePort()));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        string text = "";
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < deadline && !text.Contains($"bridge=\"{h.Bridge.Name}\"", StringComparison.Ordinal))
        {
            text = await http.GetStringAsync(endpoint.Url);
            if (!text.Contains("fastbridge_port_rx_frames", StringComparison.Ordinal))
            {
                await Task.Delay(100);
            }
        }

        Assert.Contains("fastbridge_port_rx_frames", text);
        Assert.Matches($@"fastbridge_port_rx_frames\w*\{{bridge=""{name}"",port=""p0""\}} 3", text);
        Assert.Contains("fastbridge_mac_entries", text);
    }

    [Theory]
    [InlineData("127.0.0.1:9464", true)]
    [InlineData("[::1]:9464", true)]
    [InlineData("0.0.0.0:9464", false)]
    [InlineData("198.18.0.1:9464", false)]
    [InlineData("127.0.0.1", false)]
    [InlineData("nonsense", false)]
    public void Only_loopback_endpoints_are_accepted(string text, bool accepted)
    {
        Assert.Equal(accepted, PrometheusEndpoint.TryParse(text, out _, out string? error));
        Assert.Equal(accepted, error is null);
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
