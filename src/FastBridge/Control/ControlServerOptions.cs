namespace FastBridge.Control;

/// <summary>Limits of a <see cref="ControlServer"/>; the defaults are what <c>fastbridge run</c> uses.</summary>
public sealed class ControlServerOptions
{
    /// <summary>Longest request line, in bytes; a longer one gets an error response and is skipped.</summary>
    public int MaxRequestBytes { get; set; } = 64 * 1024;

    /// <summary>Requests per second a connection may make (token bucket, this many in a burst); excess get an error.</summary>
    public int RequestsPerSecond { get; set; } = 100;

    /// <summary>
    /// A connection that completes no request for this long is closed. Only a complete, non-blank request line counts:
    /// blank lines and the bytes of an unfinished line do not keep a connection open.
    /// </summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Connections served at once; more are answered with an error and closed.</summary>
    public int MaxConnections { get; set; } = 256;

    /// <summary>The clock of the idle timeout and the rate limit (tests inject their own).</summary>
    public TimeProvider Time { get; set; } = TimeProvider.System;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRequestBytes, 256);
        ArgumentOutOfRangeException.ThrowIfLessThan(RequestsPerSecond, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(IdleTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxConnections, 1);
        ArgumentNullException.ThrowIfNull(Time);
    }
}
