using System.Globalization;
using System.Net;
using FastBridge.Diagnostics;
using Prometheus;

namespace FastBridge.Cli.Metrics;

/// <summary>
/// Serves the <c>FastBridge</c> meter in Prometheus text format at <c>http://ADDRESS:PORT/metrics</c>, on loopback only,
/// with prometheus-net's HTTP server and its adapter for System.Diagnostics.Metrics (a maintained exporter instead of
/// a hand-written one). The adapter collects in the background; the dataplane is never touched per frame.
/// </summary>
internal sealed class PrometheusEndpoint : IDisposable
{
    private readonly MetricServer _server;

    private PrometheusEndpoint(MetricServer server, IPEndPoint endpoint)
    {
        _server = server;
        EndPoint = endpoint;
    }

    public IPEndPoint EndPoint { get; }

    public string Url => $"http://{EndPoint}/metrics";

    /// <summary>Parses <c>127.0.0.1:9464</c> or <c>[::1]:9464</c>; only loopback addresses are accepted.</summary>
    public static bool TryParse(string? text, out IPEndPoint? endpoint, out string? error)
    {
        endpoint = null;
        error = null;
        if (!IPEndPoint.TryParse(text ?? "", out IPEndPoint? parsed) || parsed.Port == 0 || !(text ?? "").Contains(':', StringComparison.Ordinal))
        {
            error = $"--metrics expects ADDRESS:PORT on loopback, e.g. 127.0.0.1:9464 (got '{text}')";
            return false;
        }

        if (!IPAddress.IsLoopback(parsed.Address))
        {
            error = $"--metrics serves on loopback only ({parsed.Address} is not a loopback address)";
            return false;
        }

        endpoint = parsed;
        return true;
    }

    public static PrometheusEndpoint Start(IPEndPoint endpoint)
    {
        Prometheus.Metrics.ConfigureMeterAdapter(options =>
            options.InstrumentFilterPredicate = instrument => instrument.Meter.Name == BridgeMetrics.MeterName);
        string host = endpoint.Address.ToString();
        var server = new MetricServer(endpoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{host}]" : host,
            endpoint.Port);
        server.Start();
        return new PrometheusEndpoint(server, endpoint);
    }

    public override string ToString() => Url.ToString(CultureInfo.InvariantCulture);

    public void Dispose() => _server.Dispose();
}
