using System.CommandLine;
using System.Diagnostics;
using FastBridge.Control;

namespace FastBridge.Cli.Commands;

/// <summary>
/// <c>fastbridge wait [--timeout S]</c>: returns once the switch answers on its control socket, for scripts that
/// start <c>fastbridge run</c> in the background (its TAPs exist before the socket listens). Exit 0 when it
/// answered, 3 when nothing answered in time.
/// </summary>
internal static class WaitCommand
{
    private static readonly TimeSpan s_retry = TimeSpan.FromMilliseconds(50);

    public static Command Create()
    {
        var timeout = Numbers.Option("--timeout", 0, 86400, "0 to 86400 seconds", "seconds to wait for the switch to answer (default 10)", 10);
        var command = new Command("wait", "Wait until a switch answers on its control socket (its ports are then open)") { timeout };
        command.WithControlOptions().SetAction((result, cancel) => WaitAsync(result, TimeSpan.FromSeconds(result.GetValue(timeout)), cancel));
        return command;
    }

    private static async Task<int> WaitAsync(ParseResult result, TimeSpan timeout, CancellationToken cancel)
    {
        string path = ControlCall.SocketPath(result);
        var clock = Stopwatch.StartNew();
        string? lastError = null;
        while (true)
        {
            try
            {
                using ControlClient client = ControlClient.Connect(path);
                (ControlResponse response, string raw) = await client.RequestAsync(new ControlRequest { Verb = "status" }, cancel: cancel).ConfigureAwait(false);
                return ControlCall.Print(result, response, raw, r => Console.Out.WriteLine($"switch {r.Name} is running ({StatusCommand.Plural(r.Ports?.Count ?? 0, "port")})"));
            }
            catch (ControlClientException e)
            {
                lastError = e.Message;
            }

            if (clock.Elapsed >= timeout)
            {
                Console.Error.WriteLine($"fastbridge: no switch answered at {path} within {timeout.TotalSeconds:0} s ({lastError})");
                return ExitCodes.NoSwitch;
            }

            await Task.Delay(s_retry, cancel).ConfigureAwait(false);
        }
    }
}
