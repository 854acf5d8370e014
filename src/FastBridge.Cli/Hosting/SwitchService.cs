using FastBridge.Control;
using FastBridge.Ports;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FastBridge.Cli.Hosting;

/// <summary>
/// The switch of <c>fastbridge run</c> as a hosted service.
/// </summary>
/// <remarks>
/// Design: <see cref="StartAsync"/> does all the setup (TAP devices, control socket, workers, metrics) before it
/// returns, so the host's "started" moment, which is when a service manager is told READY=1 (systemd's Type=notify)
/// and when <c>fastbridge wait</c> first gets an answer, comes only once the ports exist and the socket listens.
/// A failure during setup releases what was set up and surfaces as <see cref="SwitchStartException"/>.
/// <see cref="StopAsync"/> runs on SIGTERM/SIGINT through the host's lifetime and releases everything, removing the
/// devices the switch created and restoring the ones it attached to.
/// </remarks>
internal sealed class SwitchService(SwitchSettings settings, ILoggerFactory logging) : IHostedService
{
    private readonly ILogger _log = logging.CreateLogger("fastbridge");
    private Bridge? _bridge;
    private ControlServer? _server;
    private Metrics.PrometheusEndpoint? _metrics;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (ControlServer.IsLive(settings.SocketPath))
        {
            throw new SwitchStartException(ExitCodes.Failed,
                $"control socket '{settings.SocketPath}' is in use by a running switch (stop it, or choose another --name or --control)");
        }

        settings.Bridge.LoggerFactory = logging;
        _bridge = new Bridge(settings.Bridge);
        try
        {
            foreach (string tap in settings.Taps)
            {
                TapPort port;
                try
                {
                    port = TapPort.Open(tap, settings.TapOptions);
                }
                catch (Exception e) when (e is TapException or ArgumentException)
                {
                    throw new SwitchStartException(e is ArgumentException ? ExitCodes.Usage : ExitCodes.Failed, e.Message);
                }

                _bridge.AddPort(port);
                _log.LogInformation("TAP {Tap} {How}{Offloads}", tap, port.CreatedDevice ? "created" : "attached", port.AcceptsOffloads ? ", with offloads" : "");
            }

            Commands.NetdevCli.AttachAll(_bridge, settings.Netdevs, _log, settings.NetdevOptions);
            Commands.VxlanCli.AttachAll(_bridge, settings.Vxlans, _log);
            if (settings.MorePorts is { } morePorts && !morePorts(_bridge, _log))
            {
                throw new SwitchStartException(ExitCodes.Failed, "a vhost-user port could not be opened");
            }

            if (!Commands.StreamPortCli.AddAll(_bridge, settings.Streams, settings.StreamGroup, logging))
            {
                throw new SwitchStartException(ExitCodes.Failed, "a --stream socket could not be made");
            }

            foreach ((string name, FastBridge.Switching.PortPolicy policy) in settings.Policies ?? new Dictionary<string, FastBridge.Switching.PortPolicy>())
            {
                if (_bridge.FindPort(name) is not null) // every policy names a port of the settings; the check costs nothing
                {
                    _bridge.SetPortPolicy(name, policy); // before Start: no frame is switched without it
                }
            }

            foreach (FastBridge.Switching.Mirror mirror in settings.Mirrors)
            {
                try
                {
                    _bridge.AddMirror(mirror);
                }
                catch (Exception e) when (e is InvalidOperationException or ArgumentException)
                {
                    throw new SwitchStartException(ExitCodes.Usage, $"config file: {e.Message}");
                }
            }

            try
            {
                _server = ControlServer.Start(_bridge, settings.SocketPath, logging.CreateLogger("fastbridge.control"));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new SwitchStartException(ExitCodes.Failed, e.Message);
            }

            _bridge.Start();
            if (settings.MetricsAt is { } metricsAt)
            {
                Metrics.PrometheusEndpoint.TryParse(metricsAt, out var endpoint, out _);
                try
                {
                    _metrics = Metrics.PrometheusEndpoint.Start(endpoint!);
                    _log.LogInformation("metrics at {Url}", _metrics.Url);
                }
                catch (Exception e) when (e is System.Net.HttpListenerException or InvalidOperationException)
                {
                    throw new SwitchStartException(ExitCodes.Failed, $"cannot serve metrics at {metricsAt}: {e.Message}");
                }
            }
        }
        catch
        {
            Release();
            throw;
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _log.LogInformation("stopping");
        Release();
        return Task.CompletedTask;
    }

    private void Release()
    {
        _metrics?.Dispose();
        _metrics = null;
        _server?.Dispose();
        _server = null;
        _bridge?.Dispose();
        _bridge = null;
    }
}
