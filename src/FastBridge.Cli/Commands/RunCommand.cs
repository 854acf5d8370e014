using System.CommandLine;
using FastBridge.Cli.Configuration;
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
            Description = "open the TAPs and --netdev sockets without virtio-net header offloads (checksum, TSO/USO super-frames): frames of the MTU only",
        };

        Option<string[]> netdevs = NetdevCli.RunOption();
        Option<string[]> vxlans = VxlanCli.RunOption();
        Option<string> netdevRing = NetdevCli.RingOption();
        Option<string[]> streams = StreamPortCli.Streams();
        Option<string?> streamGroup = StreamPortCli.Group();
        var command = new Command("run", "Switch frames between TAP devices until SIGINT or SIGTERM")
        {
            taps, netdevs, netdevRing, vxlans, streams, streamGroup, aging, maxMacs, maxMacsPerPort, workers, stormLimit, name, control, config, verbose, metrics, noOffloads,
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
            // The flags given on the command line go over the config file's members of the same meaning (and --tap,
            // --vxlan over its whole lists); the ports of other flags are added to the file's.
            var flags = new CommandLineSource();
            SetIfGiven(result, name, flags, "name");
            SetIfGiven(result, control, flags, "control");
            SetIfGiven(result, aging, flags, "aging");
            SetIfGiven(result, maxMacs, flags, "max_macs");
            SetIfGiven(result, maxMacsPerPort, flags, "max_macs_per_port");
            SetIfGiven(result, workers, flags, "workers");
            SetIfGiven(result, stormLimit, flags, "storm_limit");
            SetIfGiven(result, metrics, flags, "metrics");
            if (Given(result, noOffloads))
            {
                flags.Set("offloads", result.GetValue(noOffloads) ? "false" : "true");
            }

            string[] tapFlags = result.GetValue(taps) ?? [];
            if (tapFlags.Length > 0)
            {
                flags.SetList("ports", tapFlags);
            }

            if (result.GetValue(vxlans) is { Length: > 0 } vxlanFlags)
            {
                flags.SetList("vxlan", vxlanFlags);
            }

            string[] netdevFlags = result.GetValue(netdevs) ?? [];
            string[] streamFlags = result.GetValue(streams) ?? [];
            string[] otherPorts = [.. netdevFlags, .. streamFlags.Select(s => StreamPortCli.Parse(s).Name), .. vhostUser.PortNames(result)];
            RunOptions settings;
            try
            {
                settings = RunConfiguration.Load(result.GetValue(config), flags, new RunSources(result.GetValue(config), tapFlags.Length > 0, otherPorts));
            }
            catch (FormatException e)
            {
                Console.Error.WriteLine($"fastbridge: {e.Message}");
                return ExitCodes.Usage;
            }

            BridgeOptions bridge = settings.ToBridgeOptions();
            VhostUserPortConfig[] vhostFromFile = settings.VhostUserPorts();
            var run = new SwitchSettings(settings.TapNames(), bridge, settings.Control ?? ControlServer.DefaultSocketPath(bridge.Name), settings.Metrics,
                settings.Offloads ?? true ? TapPortOptions.Default : new TapPortOptions { Offloads = false }, settings.PortPolicies())
            {
                Netdevs = [.. netdevFlags, .. settings.NetdevNames()],
                Mirrors = settings.MirrorList(),
                NetdevOptions = NetdevCli.OptionsFor(result.GetValue(netdevRing)) with { Offloads = settings.Offloads ?? true }, // --no-offloads: the netdev sockets' too
                Streams = streamFlags,
                StreamGroup = result.GetValue(streamGroup),
                Vxlans = [.. settings.Vxlan ?? []],
                MorePorts = (b, log) => vhostUser.AddPorts(result, b, log, vhostFromFile),
            };
            return SwitchHost.RunAsync(run, result.GetValue(verbose) ? LogLevel.Debug : LogLevel.Information).GetAwaiter().GetResult();
        });
        return command;
    }

    /// <summary>Puts <paramref name="option"/>'s value into <paramref name="flags"/> as <paramref name="key"/> when it was written on the command line.</summary>
    private static void SetIfGiven<T>(ParseResult result, Option<T> option, CommandLineSource flags, string key)
    {
        if (Given(result, option) && result.GetValue(option) is { } value)
        {
            flags.Set(key, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{value}"));
        }
    }

    /// <summary>True when the option was written on the command line (not just its default).</summary>
    private static bool Given(ParseResult result, Option option) => result.GetResult(option) is { Implicit: false };
}
