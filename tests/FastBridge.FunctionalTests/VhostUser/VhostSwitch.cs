using System.Text.Json;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.VhostUser;

/// <summary>
/// A <c>fastbridge run</c> process with vhost-user ports (and any other ports the caller names), one worker, a unique
/// control socket; its counters and tables read through the CLI's <c>--json</c> output, as an operator would.
/// </summary>
internal sealed class VhostSwitch : IDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <param name="portArguments">e.g. <c>--vhost-user vu0=/tmp/fbvu-x/vu0.sock --tap fbvtx</c></param>
    public VhostSwitch(string portArguments, string extraArguments = "--workers 1")
    {
        SocketPath = ControlRig.UniqueSocketPath();
        Process = CliProcess.Start($"run {portArguments} --control {SocketPath} {extraArguments}");
        if (!EndToEnd.WaitFor(() => Process.Stderr.Contains("started", StringComparison.Ordinal) || Process.HasExited, Timeout)
            || Process.HasExited)
        {
            string why = $"fastbridge run {portArguments} did not start:\n{Process.Stderr}";
            Dispose();
            throw new InvalidOperationException(why);
        }
    }

    public CliProcess Process { get; }

    public string SocketPath { get; }

    /// <summary>Runs <c>fastbridge ARGS --control SOCKET</c> to completion.</summary>
    public CliProcess Cli(string arguments) => CliProcess.Run($"{arguments} --control {SocketPath}", Timeout);

    /// <summary><c>stats --json</c>.</summary>
    public JsonElement Stats()
    {
        CliProcess cli = Cli("stats --json");
        Assert.True(cli.ExitCode == 0, $"stats failed: {cli.Stderr}");
        return ControlRig.Parse(cli.Stdout.Trim());
    }

    /// <summary>One port's object of <c>stats --json</c>: its counters (rx_frames, tx_frames, forwarded, tx_offered, ...)
    /// and its <c>drops</c> by reason.</summary>
    public PortCounters Port(string name) => PortCounters.From(Stats(), name);

    /// <summary><c>port list --json</c>, the entry of port <paramref name="name"/> (kind, state, connection, features).</summary>
    public JsonElement PortEntry(string name)
    {
        CliProcess cli = Cli("port list --json");
        Assert.True(cli.ExitCode == 0, $"port list failed: {cli.Stderr}");
        JsonElement list = ControlRig.Parse(cli.Stdout.Trim());
        JsonElement ports = list.ValueKind == JsonValueKind.Array ? list : list.GetProperty("ports");
        foreach (JsonElement port in ports.EnumerateArray())
        {
            if (port.GetProperty("name").GetString() == name)
            {
                return port;
            }
        }

        throw new InvalidOperationException($"no port {name} in: {cli.Stdout}");
    }

    /// <summary>The MACs the table holds on port <paramref name="name"/> (<c>fdb show --json</c>), lower case.</summary>
    public IReadOnlyList<string> MacsOn(string name)
    {
        CliProcess cli = Cli("fdb show --json");
        Assert.True(cli.ExitCode == 0, $"fdb show failed: {cli.Stderr}");
        JsonElement fdb = ControlRig.Parse(cli.Stdout.Trim());
        JsonElement entries = fdb.ValueKind == JsonValueKind.Array ? fdb : fdb.GetProperty("entries");
        var macs = new List<string>();
        foreach (JsonElement entry in entries.EnumerateArray())
        {
            if (entry.GetProperty("port").GetString() == name)
            {
                macs.Add(entry.GetProperty("mac").GetString()!.ToLowerInvariant());
            }
        }

        return macs;
    }

    /// <summary>What the switch printed, for failure messages.</summary>
    public string Describe(string what) => $"{what}\nfastbridge stderr:\n{Tail(Process.Stderr)}";

    private static string Tail(string text) => text.Length > 4000 ? text[^4000..] : text;

    public void Dispose()
    {
        if (!Process.HasExited)
        {
            Process.Signal("TERM");
            Process.WaitForExit(Timeout);
        }

        Process.Dispose();
        File.Delete(SocketPath);
    }
}

/// <summary>A port's counters from <c>stats --json</c>.</summary>
internal sealed record PortCounters(string Name, long RxFrames, long TxFrames, long Forwarded, long TxOffered,
    IReadOnlyDictionary<string, long> Drops)
{
    public long TotalDrops => Drops.Values.Sum();

    public static PortCounters From(JsonElement stats, string name)
    {
        foreach (JsonElement port in stats.GetProperty("ports").EnumerateArray())
        {
            if (port.GetProperty("name").GetString() != name)
            {
                continue;
            }

            var drops = new Dictionary<string, long>();
            if (port.TryGetProperty("drops", out JsonElement d))
            {
                foreach (JsonProperty reason in d.EnumerateObject())
                {
                    drops[reason.Name] = reason.Value.GetInt64();
                }
            }

            return new PortCounters(name, port.GetProperty("rx_frames").GetInt64(), port.GetProperty("tx_frames").GetInt64(),
                port.GetProperty("forwarded").GetInt64(), port.GetProperty("tx_offered").GetInt64(), drops);
        }

        throw new InvalidOperationException($"no port {name} in stats: {stats}");
    }

    public override string ToString() =>
        $"{Name}: rx {RxFrames} tx {TxFrames} forwarded {Forwarded} tx_offered {TxOffered} drops " +
        string.Join(",", Drops.Where(p => p.Value != 0).Select(p => $"{p.Key}={p.Value}"));
}
