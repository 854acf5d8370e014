using System.CommandLine;
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
        var workers = new Option<int>("--workers")
        {
            Description = "dataplane threads (default: one per processor)",
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
        var name = new Option<string>("--name") { Description = "bridge name", DefaultValueFactory = _ => "fb0" };
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

        var command = new Command("run", "Switch frames between TAP devices until SIGINT or SIGTERM")
        {
            taps, aging, maxMacs, workers, stormLimit, name, verbose, metrics, noOffloads,
        };
        command.SetAction(result => Run(
            result.GetValue(taps) ?? [],
            new BridgeOptions
            {
                Name = result.GetValue(name)!,
                AgingSeconds = result.GetValue(aging),
                MaxMacs = result.GetValue(maxMacs),
                Workers = result.GetValue(workers),
                StormLimit = result.GetValue(stormLimit),
            },
            result.GetValue(verbose),
            result.GetValue(metrics),
            result.GetValue(noOffloads) ? new TapPortOptions { Offloads = false } : TapPortOptions.Default));
        return command;
    }

    private static int Run(string[] taps, BridgeOptions options, bool verbose, string? metricsAt, TapPortOptions tapOptions)
    {
        if (taps.Length == 0)
        {
            Console.Error.WriteLine("fastbridge run: at least one --tap NAME is needed");
            return ExitCodes.Usage;
        }

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
        return ExitCodes.Ok;
    }
}
