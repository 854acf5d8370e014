using System.CommandLine;
using System.Security.Cryptography;
using FastBridge.Cli.Demo;
using FastBridge.Cli.Output;
using FastBridge.Ports;
using Microsoft.Extensions.Logging;

namespace FastBridge.Cli.Commands;

/// <summary>
/// <c>fastbridge demo</c>: the built-in default. Three hosts (network namespaces), each behind a TAP device switched by
/// an in-process bridge, ping each other; then the MAC table and the counters are shown and everything created is
/// removed, also on SIGINT/SIGTERM.
/// </summary>
internal static class DemoCommand
{
    private const int Hosts = 3;

    public static Command Create()
    {
        var hosts = Numbers.Option("--hosts", 2, 8, "2 to 8 hosts", "number of hosts (2-8)", Hosts);
        var command = new Command("demo", "Three namespaces behind TAP devices ping each other through FastBridge") { hosts };
        command.SetAction(result => Run(result.GetValue(hosts)));
        return command;
    }

    private static int Run(int hostCount)
    {
        if (Privileges.Missing() is { } missing)
        {
            Console.Error.WriteLine($"fastbridge: {missing}");
            return ExitCodes.Failed;
        }

        using var shutdown = new ShutdownSignal();
        using ILoggerFactory logging = CliLogging.Create(LogLevel.Warning);
        string suffix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(2));
        var namespaces = new List<NetworkNamespace>();
        Bridge? bridge = null;
        try
        {
            bridge = new Bridge(new BridgeOptions { Name = "demo", LoggerFactory = logging });
            Console.WriteLine($"FastBridge demo: {hostCount} hosts, each in its own network namespace behind a TAP device.");
            var taps = new string[hostCount];
            for (int i = 0; i < hostCount && !shutdown.Token.IsCancellationRequested; i++)
            {
                taps[i] = $"fbd{suffix}h{i + 1}";
                var ns = NetworkNamespace.Create($"fb-demo{suffix}-h{i + 1}");
                namespaces.Add(ns);
                bridge.AddPort(TapPort.Open(taps[i]));
                ns.MoveIn(taps[i]);
                ns.Exec($"ip addr add {Address(i)}/24 dev {taps[i]}");
                ns.Exec($"ip link set dev {taps[i]} up");
                string mac = ns.Exec($"cat /sys/class/net/{taps[i]}/address").Trim();
                Console.WriteLine($"  h{i + 1}: namespace {ns.Name}, interface {taps[i]}, {Address(i)}, mac {mac}");
            }

            bridge.Start();
            Console.WriteLine();
            Console.WriteLine("Pings through the switch:");
            int failures = 0;
            for (int i = 0; i < namespaces.Count && !shutdown.Token.IsCancellationRequested; i++)
            {
                for (int j = 0; j < namespaces.Count && !shutdown.Token.IsCancellationRequested; j++)
                {
                    if (i != j && !Ping(namespaces[i], i, j))
                    {
                        failures++;
                    }
                }
            }

            if (shutdown.Token.IsCancellationRequested)
            {
                Console.WriteLine($"{shutdown.Received} received: cleaning up.");
                return 130;
            }

            Console.WriteLine();
            Console.WriteLine("MAC table:");
            BridgeReport.WriteMacTable(Console.Out, bridge);
            Console.WriteLine();
            Console.WriteLine("Port counters:");
            CounterTable.Write(Console.Out, CounterReport.From(bridge.ReadCounters()));
            Console.WriteLine();
            Console.WriteLine(failures == 0
                ? $"All {hostCount * (hostCount - 1)} pings answered."
                : $"{failures} of {hostCount * (hostCount - 1)} host pairs could not ping each other.");
            return failures == 0 ? ExitCodes.Ok : ExitCodes.Failed;
        }
        catch (Exception e) when (e is TapException or InvalidOperationException)
        {
            Console.Error.WriteLine($"fastbridge: {e.Message}");
            return ExitCodes.Failed;
        }
        finally
        {
            bridge?.Dispose();
            foreach (NetworkNamespace ns in namespaces)
            {
                ns.Dispose();
            }

            Console.WriteLine($"Removed {namespaces.Count} namespaces and their TAP devices.");
        }
    }

    private static string Address(int host) => $"198.18.0.{host + 1}";

    private static bool Ping(NetworkNamespace from, int i, int j)
    {
        (int code, string output) = from.TryExec($"ping -c 2 -i 0.2 -W 2 {Address(j)}", 15_000);
        string summary = output.Split('\n').FirstOrDefault(l => l.Contains("packets transmitted", StringComparison.Ordinal))?.Trim() ?? output.Trim();
        Console.WriteLine($"  h{i + 1} -> h{j + 1} ({Address(j)}): {(code == 0 ? "ok" : "FAILED")}  [{summary}]");
        return code == 0;
    }
}
