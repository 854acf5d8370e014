namespace FastBridge.Control;

/// <summary>Limits of a <see cref="ControlServer"/>; the defaults are what <c>fastbridge run</c> uses.</summary>
public sealed class ControlServerOptions
{
    /// <summary>Longest request line, in bytes; a longer one gets an error response and is skipped.</summary>
    public int MaxRequestBytes { get; set; } = 64 * 1024;

    /// <summary>Requests per second a connection may make (token bucket, this many in a burst); excess get an error.</summary>
    public int RequestsPerSecond { get; set; } = 100;

    /// <summary>A connection that sends nothing for this long is closed.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Connections served at once; more are answered with an error and closed.</summary>
    public int MaxConnections { get; set; } = 256;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRequestBytes, 256);
        ArgumentOutOfRangeException.ThrowIfLessThan(RequestsPerSecond, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(IdleTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxConnections, 1);
    }
}
