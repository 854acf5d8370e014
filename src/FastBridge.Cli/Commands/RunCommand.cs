using System.CommandLine;
using FastBridge.Cli.Hosting;
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
        taps.Validators.Add(r =>
        {
            foreach (var token in r.Tokens)
            {
                try
                {
                    TapPort.ValidateInterfaceName(token.Value);
                }
                catch (ArgumentException e)
                {
                    r.AddError($"--tap: {e.Message}");
                    return;
                }
            }
        });
        var aging = RunLimit.Aging.Option("seconds an idle MAC entry lives; 0 = never age", MacTable.DefaultAgingSeconds);
        var maxMacs = RunLimit.MaxMacs.Option("MAC table capacity", MacTable.DefaultCapacity);
        var maxMacsPerPort = RunLimit.MaxMacsPerPort.Option(
            "most MACs one port may learn (0 = no limit; a full table evicts from the port holding the most)");
        var workers = RunLimit.Workers.Option("dataplane threads (default: half the processors, at least one)");
        var stormLimit = RunLimit.StormLimit.Option(
            "storm control: floods per second a port may send, per kind (broadcast, multicast, unknown unicast); 0 = off",
            BridgeOptions.DefaultStormLimit);
        var name = new Option<string>("--name") { Description = "bridge name (its control socket is /run/fastbridge/NAME.sock)", DefaultValueFactory = _ => "fb0" };
        var control = new Option<string?>("--control") { Description = "control socket path (default /run/fastbridge/NAME.sock)" };
        var config = new Option<string?>("--config") { Description = "JSON file with name, control, ports, mirrors, aging, max_macs, max_macs_per_port, workers, storm_limit, metrics; flags override it" };
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

        Option<string[]> netdevs = NetdevCli.RunOption();
        Option<string[]> vxlans = VxlanCli.RunOption();
        Option<string> netdevRing = NetdevCli.RingOption();
        Option<string[]> streams = StreamPortCli.Streams();
        Option<string?> streamGroup = StreamPortCli.Group();
        Option<string[]> dgrams = DgramPortCli.RunOption();
        Option<string?> dgramGroup = DgramPortCli.GroupOption();
        var command = new Command("run", "Switch frames between TAP devices until SIGINT or SIGTERM")
        {
            taps, netdevs, netdevRing, vxlans, streams, streamGroup, dgrams, dgramGroup, aging, maxMacs, maxMacsPerPort, workers, stormLimit, name, control, config, verbose, metrics, noOffloads,
        };
        var vhostUser = new VhostUserRunOptions();
        foreach (Option option in vhostUser.All)
        {
            command.Options.Add(option);
        }

        // A synchronous action: System.CommandLine then leaves SIGINT/SIGTERM to the host's lifetime (an async action
        // would get its own handler that cancels and, after a timeout, abandons the action).
        command.SetAction(result =>
        {
            s_netdevOptions = NetdevCli.OptionsFor(result.GetValue(netdevRing));
            s_vxlans = result.GetValue(vxlans) ?? [];
            s_dgrams = (result.GetValue(dgrams) ?? [], result.GetValue(dgramGroup));
            var options = new BridgeOptions();
            string[] ports = result.GetValue(taps) ?? [];
            string? socketPath = result.GetValue(control);
            string? metricsAt = result.GetValue(metrics);
            bool offloads = !result.GetValue(noOffloads);
            Dictionary<string, Switching.PortPolicy>? policies = null;
            string[] netdevPorts = result.GetValue(netdevs) ?? [];
            VhostUserPortConfig[] vhostFromFile = [];
            List<Switching.Mirror> mirrors = [];
            if (result.GetValue(config) is { } file)
            {
                RunConfig loaded;
                try
                {
                    loaded = RunConfig.Load(file);
                }
                catch (FormatException e)
                {
                    Console.Error.WriteLine($"fastbridge: {e.Message}");
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
                if (ports.Length == 0) // --tap replaces the file's whole port list
                {
                    ports = loaded.TapNames();
                    netdevPorts = [.. netdevPorts, .. loaded.NetdevNames()];
                    vhostFromFile = loaded.VhostUserPorts();
                }

                policies = loaded.PortPolicies(file);
                mirrors = loaded.MirrorList(file);
                socketPath ??= loaded.Control;
                s_vxlans = s_vxlans.Length > 0 ? s_vxlans : [.. loaded.Vxlan ?? []];
                s_dgrams = (s_dgrams.Specs.Length > 0 ? s_dgrams.Specs : [.. loaded.Dgram ?? []], s_dgrams.Group ?? loaded.DgramGroup);
            }
            else
            {
                if (ports.Length == 0 && result.GetValue(netdevs) is not { Length: > 0 } && s_vxlans.Length == 0 && !VhostUserRunOptions.Any(result, vhostUser)
                    && result.GetValue(streams) is not { Length: > 0 } && s_dgrams.Specs.Length == 0)
                {
                    Console.Error.WriteLine("fastbridge: at least one --tap NAME is needed (or a --config FILE)");
                    return ExitCodes.Usage;
                }

                options.Name = result.GetValue(name)!;
                options.AgingSeconds = result.GetValue(aging);
                options.MaxMacs = result.GetValue(maxMacs);
                options.Workers = result.GetValue(workers);
                options.MaxMacsPerPort = result.GetValue(maxMacsPerPort);
                options.StormLimit = result.GetValue(stormLimit);
            }

            s_vhostUser = (vhostUser, result, vhostFromFile);
            return Run(ports, options, socketPath ?? ControlServer.DefaultSocketPath(options.Name), result.GetValue(verbose), metricsAt,
                offloads ? TapPortOptions.Default : new TapPortOptions { Offloads = false }, netdevPorts, policies, mirrors,
                (result.GetValue(streams) ?? [], result.GetValue(streamGroup)));
        });
        return command;
    }

    /// <summary>The vhost-user options of this run (kept apart so the TAP path's signature stays as it is).</summary>
    private static (VhostUserRunOptions Options, ParseResult Result, VhostUserPortConfig[] FromFile)? s_vhostUser;

    /// <summary>How the --netdev ports open their rings (--netdev-ring).</summary>
    private static Ports.Netdev.NetdevPortOptions? s_netdevOptions;

    /// <summary>The VXLAN ports of this run, NAME:SPEC (kept apart like the vhost-user options).</summary>
    private static string[] s_vxlans = [];

    /// <summary>The datagram-socket ports of this run, [NAME=]PATH[,peer=GUEST], and their group (kept apart like the VXLAN ports).</summary>
    private static (string[] Specs, string? Group) s_dgrams = ([], null);

    /// <summary>True when the option was written on the command line (not just its default).</summary>
    private static bool Given(ParseResult result, Option option) => result.GetResult(option) is { Implicit: false };

    private static int Run(string[] taps, BridgeOptions options, string socketPath, bool verbose, string? metricsAt, TapPortOptions tapOptions,
        string[] netdevs, Dictionary<string, Switching.PortPolicy>? policies = null, List<Switching.Mirror>? mirrors = null,
        (string[] Specs, string? Group) streams = default)
    {
        foreach (string tap in taps)
        {
            if (Array.IndexOf(taps, tap) != Array.LastIndexOf(taps, tap))
            {
                Console.Error.WriteLine($"fastbridge: --tap {tap} given twice");
                return ExitCodes.Usage;
            }
        }

        return SwitchHost.RunAsync(new SwitchSettings(taps, options, socketPath, metricsAt, tapOptions, policies)
        {
            Netdevs = netdevs,
            Mirrors = mirrors ?? [],
            NetdevOptions = s_netdevOptions,
            Streams = streams.Specs ?? [],
            StreamGroup = streams.Group,
            Vxlans = s_vxlans,
            Dgrams = s_dgrams.Specs,
            DgramGroup = s_dgrams.Group,
            MorePorts = s_vhostUser is { } vu ? (bridge, log) => vu.Options.AddPorts(vu.Result, bridge, log, vu.FromFile) : null,
        }, verbose ? LogLevel.Debug : LogLevel.Information)
            .GetAwaiter().GetResult();
    }
}
