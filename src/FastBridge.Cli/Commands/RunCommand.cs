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
        var name = new Option<string>("--name") { Description = "bridge name (its control socket is /run/fastbridge/NAME.sock)", DefaultValueFactory = _ => "fb0" };
        var control = new Option<string?>("--control") { Description = "control socket path (default /run/fastbridge/NAME.sock)" };
        var config = new Option<string?>("--config") { Description = "JSON file with name, control, ports, aging, max_macs, workers; flags override it" };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "also log MAC learning and aging totals" };

        var command = new Command("run", "Switch frames between TAP devices until SIGINT or SIGTERM")
        {
            taps, aging, maxMacs, workers, name, control, config, verbose,
        };
        command.SetAction(result =>
        {
            var options = new BridgeOptions();
            string[] ports = result.GetValue(taps) ?? [];
            string? socketPath = result.GetValue(control);
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
                ports = ports.Length > 0 ? ports : [.. loaded.Ports ?? []];
                socketPath ??= loaded.Control;
            }
            else
            {
                if (ports.Length == 0)
                {
                    Console.Error.WriteLine("fastbridge run: at least one --tap NAME is needed (or a --config FILE)");
                    return ExitCodes.Usage;
                }

                options.Name = result.GetValue(name)!;
                options.AgingSeconds = result.GetValue(aging);
                options.MaxMacs = result.GetValue(maxMacs);
                options.Workers = result.GetValue(workers);
            }

            return Run(ports, options, socketPath ?? ControlServer.DefaultSocketPath(options.Name), result.GetValue(verbose));
        });
        return command;
    }

    /// <summary>True when the option was written on the command line (not just its default).</summary>
    private static bool Given(ParseResult result, Option option) => result.GetResult(option) is { Implicit: false };

    private static int Run(string[] taps, BridgeOptions options, string socketPath, bool verbose)
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
                port = TapPort.Open(tap);
            }
            catch (Exception e) when (e is TapException or ArgumentException)
            {
                Console.Error.WriteLine($"fastbridge: {e.Message}");
                return e is ArgumentException ? ExitCodes.Usage : ExitCodes.Failed;
            }

            bridge.AddPort(port);
            log.LogInformation("TAP {Tap} {How}", tap, port.CreatedDevice ? "created" : "attached");
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
            shutdown.Token.WaitHandle.WaitOne();
            log.LogInformation("{Signal} received, stopping", shutdown.Received);
        }

        return ExitCodes.Ok;
    }
}
