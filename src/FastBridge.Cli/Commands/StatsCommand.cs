using System.CommandLine;
using FastBridge.Cli.Output;
using FastBridge.Control;

namespace FastBridge.Cli.Commands;

/// <summary><c>fastbridge stats [--watch] [--count N]</c>: per-port and switch-wide counters of a running switch.</summary>
internal static class StatsCommand
{
    public static Command Create()
    {
        var watch = new Option<bool>("--watch", "-w") { Description = "refresh once a second with rates, until Ctrl-C" };
        var count = Numbers.OptionalOption("--count", 1, int.MaxValue, "1 or more samples", "with --watch: stop after N samples (implies --watch)");
        var command = new Command("stats", "Per-port rx/tx frames and bytes and drops by reason; MAC table totals") { watch, count };
        command.WithControlOptions().SetAction((result, cancel) =>
        {
            int? samples = result.GetValue(count);
            return result.GetValue(watch) || samples is not null
                ? WatchAsync(result, samples, cancel)
                : ControlCall.RunAsync(result, new ControlRequest { Verb = "stats" }, r => Write(r, previous: null, 0), cancel: cancel);
        });
        return command;
    }

    /// <summary>One sample a second on one connection, each printed with the rates since the one before.</summary>
    private static async Task<int> WatchAsync(ParseResult result, int? samples, CancellationToken cancel)
    {
        bool json = result.GetValue(ControlCall.Json);
        try
        {
            using ControlClient client = ControlClient.Connect(ControlCall.SocketPath(result));
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
            ControlResponse? previous = null;
            long previousAt = 0;
            for (int taken = 0; samples is null || taken < samples; taken++)
            {
                if (taken > 0 && !await timer.WaitForNextTickAsync(cancel).ConfigureAwait(false))
                {
                    break;
                }

                (ControlResponse response, string raw) = await client.RequestAsync(new ControlRequest { Verb = "stats" }, cancel: cancel).ConfigureAwait(false);
                long now = Environment.TickCount64;
                if (!response.Ok)
                {
                    Console.Error.WriteLine($"fastbridge: {response.Error}");
                    return ExitCodes.Failed;
                }

                if (json)
                {
                    Console.Out.WriteLine(raw);
                }
                else
                {
                    if (!Console.IsOutputRedirected)
                    {
                        Console.Out.Write("\e[H\e[2J"); // home and clear, like top
                    }

                    Console.Out.WriteLine($"fastbridge stats {ControlCall.SocketPath(result)}  {DateTime.Now:HH:mm:ss}  (every 1 s; Ctrl-C to stop)");
                    Write(response, previous, (now - previousAt) / 1000.0);
                    Console.Out.WriteLine();
                }

                Console.Out.Flush();
                previous = response;
                previousAt = now;
            }

            return ExitCodes.Ok;
        }
        catch (OperationCanceledException)
        {
            return ExitCodes.Ok; // Ctrl-C
        }
        catch (ControlClientException e)
        {
            Console.Error.WriteLine($"fastbridge: {e.Message}");
            return e.ExitCode;
        }
    }

    private static void Write(ControlResponse response, ControlResponse? previous, double seconds) =>
        CounterTable.Write(Console.Out, CounterReport.From(response), previous is null ? null : CounterReport.From(previous), seconds);
}
