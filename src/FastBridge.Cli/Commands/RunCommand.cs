using System.CommandLine;
using FastBridge.Control;
using FastBridge.Ports;
using FastBridge.Switching;
using Microsoft.Extensions.Logging;

namespace FastBridge.Cli.Commands;

/// <summary><c>fastbridge run --tap NAME ...</c>: the dataplane daemon, in the foreground.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var taps = new Option<string[]>("--tap")
        {
            Description = "TAP device to switch (created if missing, attached if it exists); repeat for more ports",
            Arity = ArgumentArity.ZeroOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        var aging = new Option<int>("--aging")
        {
            Description = "seconds an idle MAC entry lives; 0 = never age",
            DefaultValueFactory = _ => MacTable.DefaultAgingSeconds,
        };
        aging.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 0) { r.AddError("--aging must be 0 or more seconds"); } });
        var maxMacs = new Option<int>("--max-macs")
        {
            Description = "MAC table capacity",
            DefaultValueFactory = _ => MacTable.DefaultCapacity,
        };
        maxMacs.Validators.Add(r =>
        {
            int v = r.GetValueOrDefault<int>();
            if (v < 1 || v > MacTable.MaxCapacity)
            {
                r.AddError($"--max-macs must be between 1 and {MacTable.MaxCapacity}");
            }
        });
        var maxMacsPerPort = new Option<int>("--max-macs-per-port")
        {
            Description = "most MACs one port may learn (0 = no limit; a full table evicts from the port holding the most)",
        };
        maxMacsPerPort.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 0) { r.AddError("--max-macs-per-port must be 0 (no limit) or more"); } });
        var workers = new Option<int>("--workers")
        {
            Description = "dataplane threads (default: half the processors, at least one)",
        };
        workers.Validators.Add(r =>
        {
            int v = r.GetValueOrDefault<int>();
            if (v < 0 || v > 64)
            {
                r.AddError("--workers must be between 1 and 64");
            }
        });
        var stormLimit = new Option<int>("--storm-limit")
        {
            Description = "storm control: floods per second a port may send, per kind (broadcast, multicast, unknown unicast); 0 = off",
            DefaultValueFactory = _ => BridgeOptions.DefaultStormLimit,
        };
        stormLimit.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 0) { r.AddError("--storm-limit must be 0 (off) or more frames per second"); } });
        var name = new Option<string>("--name") { Description = "bridge name (its control socket is /run/fastbridge/NAME.sock)", DefaultValueFactory = _ => "fb0" };
        var control = new Option<string?>("--control") { Description = "control socket path (default /run/fastbridge/NAME.sock)" };
        var config = new Option<string?>("--config") { Description = "JSON file with name, control, ports, aging, max_macs, max_macs_per_port, workers, storm_limit, metrics; flags override it" };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "also log MAC learning and aging totals" };
        var metrics = new Option<string?>("--metrics")
        {
            Description = "serve Prometheus metrics at http://ADDRESS:PORT/metrics (loopback only, e.g. 127.0.0.1:9464)",
        };
        metrics.Validators.Add(r =>
        {
            if (!Metrics.PrometheusEndpoint.TryParse(r.GetValueOrDefault<string?>(), out _, out string? error))
            {
                r.AddError(error!);
            }
        });

        var noOffloads = new Option<bool>("--no-offloads")
        {
            Description = "open the TAPs without virtio-net header offloads (checksum, TSO/USO super-frames): frames of the MTU only",
        };

        var streams = StreamPortCli.Streams();
        var socketGroup = StreamPortCli.Group();
        var command = new Command("run", "Switch frames between TAP devices until SIGINT or SIGTERM")
        {
            streams, socketGroup, taps, aging, maxMacs, maxMacsPerPort, workers, stormLimit, name, control, config, verbose, metrics, noOffloads,
        };
        command.SetAction(result =>
        {
            var options = new BridgeOptions();
            string[] ports = result.GetValue(taps) ?? [];
            string? socketPath = result.GetValue(control);
            string? metricsAt = result.GetValue(metrics);
            bool offloads = !result.GetValue(noOffloads);
            if (result.GetValue(config) is { } file)
            {
                RunConfig loaded;
                try
                {
                    loaded = RunConfig.Load(file);
                }
                catch (FormatException e)
                {
                    Console.Error.WriteLine($"fastbridge run: {e.Message}");
                    return ExitCodes.Usage;
                }

                options.Name = Given(result, name) ? result.GetValue(name)! : loaded.Name ?? options.Name;
                options.AgingSeconds = Given(result, aging) ? result.GetValue(aging) : loaded.Aging ?? options.AgingSeconds;
                options.MaxMacs = Given(result, maxMacs) ? result.GetValue(maxMacs) : loaded.MaxMacs ?? options.MaxMacs;
                options.Workers = Given(result, workers) ? result.GetValue(workers) : loaded.Workers ?? options.Workers;
                options.MaxMacsPerPort = Given(result, maxMacsPerPort) ? result.GetValue(maxMacsPerPort) : loaded.MaxMacsPerPort ?? options.MaxMacsPerPort;
                options.StormLimit = Given(result, stormLimit) ? result.GetValue(stormLimit) : loaded.StormLimit ?? options.StormLimit;
                metricsAt ??= loaded.Metrics;
                offloads = Given(result, noOffloads) ? !result.GetValue(noOffloads) : loaded.Offloads ?? offloads;
                ports = ports.Length > 0 ? ports : [.. loaded.Ports ?? []];
                socketPath ??= loaded.Control;
            }
            else
            {
                if (ports.Length == 0 && (result.GetValue(streams) ?? []).Length == 0)
                {
                    Console.Error.WriteLine("fastbridge run: at least one --tap NAME is needed (or a --config FILE)");
                    return ExitCodes.Usage;
                }

                options.Name = result.GetValue(name)!;
                options.AgingSeconds = result.GetValue(aging);
                options.MaxMacs = result.GetValue(maxMacs);
                options.Workers = result.GetValue(workers);
                options.MaxMacsPerPort = result.GetValue(maxMacsPerPort);
                options.StormLimit = result.GetValue(stormLimit);
            }

            return Run(ports, options, socketPath ?? ControlServer.DefaultSocketPath(options.Name), result.GetValue(verbose), metricsAt,
                offloads ? TapPortOptions.Default : new TapPortOptions { Offloads = false }, result.GetValue(streams) ?? [], result.GetValue(socketGroup));
        });
        return command;
    }

    /// <summary>True when the option was written on the command line (not just its default).</summary>
    private static bool Given(ParseResult result, Option option) => result.GetResult(option) is { Implicit: false };

    private static int Run(string[] taps, BridgeOptions options, string socketPath, bool verbose, string? metricsAt, TapPortOptions tapOptions,
        string[] streams, string? socketGroup)
    {
        foreach (string tap in taps)
        {
            if (Array.IndexOf(taps, tap) != Array.LastIndexOf(taps, tap))
            {
                Console.Error.WriteLine($"fastbridge run: --tap {tap} given twice");
                return ExitCodes.Usage;
            }
        }

        using ILoggerFactory logging = CliLogging.Create(verbose ? LogLevel.Debug : LogLevel.Information);
        options.LoggerFactory = logging;
        ILogger log = logging.CreateLogger("fastbridge");
        using var shutdown = new ShutdownSignal();
        if (ControlServer.IsLive(socketPath))
        {
            Console.Error.WriteLine($"fastbridge: control socket '{socketPath}' is in use by a running switch (stop it, or choose another --name or --control)");
            return ExitCodes.Failed;
        }

        using var bridge = new Bridge(options);
        foreach (string tap in taps)
        {
            TapPort port;
            try
            {
                port = TapPort.Open(tap, tapOptions);
            }
            catch (Exception e) when (e is TapException or ArgumentException)
            {
                Console.Error.WriteLine($"fastbridge: {e.Message}");
                return e is ArgumentException ? ExitCodes.Usage : ExitCodes.Failed;
            }

            bridge.AddPort(port);
            log.LogInformation("TAP {Tap} {How}{Offloads}", tap, port.CreatedDevice ? "created" : "attached", port.AcceptsOffloads ? ", with offloads" : "");
        }

        if (!StreamPortCli.AddAll(bridge, streams, socketGroup, logging))
        {
            return ExitCodes.Failed;
        }

        ControlServer server;
        try
        {
            server = ControlServer.Start(bridge, socketPath, logging.CreateLogger("fastbridge.control"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"fastbridge: {e.Message}");
            return ExitCodes.Failed;
        }

        using (server)
        {
            bridge.Start();
            Metrics.PrometheusEndpoint? metrics = null;
            if (metricsAt is not null)
            {
                Metrics.PrometheusEndpoint.TryParse(metricsAt, out var endpoint, out _);
                try
                {
                    metrics = Metrics.PrometheusEndpoint.Start(endpoint!);
                    log.LogInformation("metrics at {Url}", metrics.Url);
                }
                catch (Exception e) when (e is System.Net.HttpListenerException or InvalidOperationException)
                {
                    Console.Error.WriteLine($"fastbridge: cannot serve metrics at {metricsAt}: {e.Message}");
                    return ExitCodes.Failed;
                }
            }

            using Metrics.PrometheusEndpoint? metricsEndpoint = metrics;
            shutdown.Token.WaitHandle.WaitOne();
            log.LogInformation("{Signal} received, stopping", shutdown.Received);
        }

        return ExitCodes.Ok;
    }
}
