using System.CommandLine;
using FastBridge.Switching;

namespace FastBridge.Cli.Commands;

/// <summary>
/// The range of one whole-number setting of <c>fastbridge run</c>, written once for both places it can come from: the
/// flag (<see cref="Option"/>, checked by the parser) and the config file member (<see cref="Problem"/>, asked by
/// <see cref="Configuration.RunOptionsValidator"/>), so a value is valid or not whatever its source, and both errors
/// say what is allowed in the same words.
/// </summary>
internal sealed record RunLimit(string Flag, string Member, int Min, int Max, string Allowed)
{
    public static readonly RunLimit Aging = new("--aging", "aging", 0, int.MaxValue, "0 or more seconds (0 = never age)");

    public static readonly RunLimit MaxMacs = new("--max-macs", "max_macs", 1, MacTable.MaxCapacity, $"1 to {MacTable.MaxCapacity} entries");

    public static readonly RunLimit MaxMacsPerPort = new("--max-macs-per-port", "max_macs_per_port", 0, int.MaxValue, "0 (no limit) or more");

    public static readonly RunLimit Workers = new("--workers", "workers", 0, 64, "1 to 64 threads (0 = half the processors)");

    public static readonly RunLimit StormLimit = new("--storm-limit", "storm_limit", 0, int.MaxValue, "0 (off) or more frames per second");

    /// <summary>The command-line option; a value out of range is a parse error (exit 2 with the usage line).</summary>
    public Option<int> Option(string description, int defaultValue = 0) => Numbers.Option(Flag, Min, Max, Allowed, description, defaultValue);

    /// <summary>What is wrong with the config file's <paramref name="value"/>, or null when it is in range or left out.</summary>
    public string? Problem(int? value) => value is { } v && (v < Min || v > Max) ? $"\"{Member}\" must be {Allowed}" : null;
}
