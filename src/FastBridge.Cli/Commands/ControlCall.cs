using System.CommandLine;
using FastBridge.Control;

namespace FastBridge.Cli.Commands;

/// <summary>
/// What every management verb shares: <c>--name</c> / <c>--control</c> to pick the switch, <c>--json</c> for machine
/// output, and one request/response round trip with the exit codes README documents (0 ok, 1 the request failed,
/// 3 no switch at that socket).
/// </summary>
internal static class ControlCall
{
    public static readonly Option<string> Name = new("--name")
    {
        Description = "name of the switch (its socket is /run/fastbridge/NAME.sock)",
        DefaultValueFactory = _ => "fb0",
    };

    public static readonly Option<string?> Control = new("--control")
    {
        Description = "control socket path (overrides --name)",
    };

    public static readonly Option<bool> Json = new("--json") { Description = "print the response as JSON (one object per line)" };

    /// <summary>Adds the shared options to a verb.</summary>
    public static Command WithControlOptions(this Command command)
    {
        command.Options.Add(Name);
        command.Options.Add(Control);
        command.Options.Add(Json);
        return command;
    }

    public static string SocketPath(ParseResult result) =>
        result.GetValue(Control) is { Length: > 0 } path ? path : ControlServer.DefaultSocketPath(result.GetValue(Name)!);

    /// <summary>One request; on success prints the raw response (--json) or what <paramref name="human"/> writes.</summary>
    public static async Task<int> RunAsync(ParseResult result, ControlRequest request, Action<ControlResponse> human, int[]? fds = null, CancellationToken cancel = default)
    {
        try
        {
            using ControlClient client = ControlClient.Connect(SocketPath(result));
            (ControlResponse response, string raw) = await client.RequestAsync(request, fds ?? [], cancel).ConfigureAwait(false);
            return Print(result, response, raw, human);
        }
        catch (ControlClientException e)
        {
            Console.Error.WriteLine($"fastbridge: {e.Message}");
            return e.ExitCode;
        }
    }

    public static int Print(ParseResult result, ControlResponse response, string raw, Action<ControlResponse> human)
    {
        if (!response.Ok)
        {
            Console.Error.WriteLine($"fastbridge: {response.Error ?? "the request failed"}");
            return ExitCodes.Failed;
        }

        if (result.GetValue(Json))
        {
            Console.Out.WriteLine(raw);
        }
        else
        {
            human(response);
        }

        return ExitCodes.Ok;
    }

    public static void ValidateVlan(Option<int?> vlan) => vlan.Validators.Add(r =>
    {
        if (r.GetValueOrDefault<int?>() is { } v && (v < 0 || v > 4095))
        {
            r.AddError("--vlan must be between 0 and 4095");
        }
    });
}
