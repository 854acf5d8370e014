using FastBridge.Ports;

namespace FastBridge.Cli.Hosting;

/// <summary>What <c>fastbridge run</c> was asked to do, after flags and the config file are merged and checked.</summary>
internal sealed record SwitchSettings(string[] Taps, BridgeOptions Bridge, string SocketPath, string? MetricsAt, TapPortOptions TapOptions,
    string[]? Streams = null, string? SocketGroup = null);

/// <summary>The switch could not start; <see cref="ExitCode"/> is what <c>fastbridge run</c> exits with.</summary>
internal sealed class SwitchStartException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
