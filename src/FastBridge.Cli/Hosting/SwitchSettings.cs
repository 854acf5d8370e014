using FastBridge.Ports;

namespace FastBridge.Cli.Hosting;

/// <summary>What <c>fastbridge run</c> was asked to do, after flags and the config file are merged and checked.</summary>
internal sealed record SwitchSettings(string[] Taps, BridgeOptions Bridge, string SocketPath, string? MetricsAt, TapPortOptions TapOptions,
    IReadOnlyDictionary<string, FastBridge.Switching.PortPolicy>? Policies = null)
{
    /// <summary>Existing interfaces to attach as netdev (AF_PACKET) ports, after the TAPs.</summary>
    public string[] Netdevs { get; init; } = [];

    /// <summary>How the netdev ports open their rings (<c>--netdev-ring</c>); null: the defaults.</summary>
    public FastBridge.Ports.Netdev.NetdevPortOptions? NetdevOptions { get; init; }

    /// <summary>VXLAN tunnel ports, NAME:SPEC (<c>vx0:vni=42,local=ADDR,remote=ADDR</c>), after the netdevs.</summary>
    public string[] Vxlans { get; init; } = [];

    /// <summary>Adds ports of other kinds (vhost-user) after the TAPs; false when one could not be opened (it said why).</summary>
    public Func<Bridge, Microsoft.Extensions.Logging.ILogger, bool>? MorePorts { get; init; }

    /// <summary>Port mirrors to add once every port is there (the config file's <c>mirrors</c>).</summary>
    public IReadOnlyList<FastBridge.Switching.Mirror> Mirrors { get; init; } = [];

    /// <summary>QEMU stream-socket ports to listen on, [NAME=]PATH each, after the other ports.</summary>
    public string[] Streams { get; init; } = [];

    /// <summary>The group allowed to connect to the stream sockets (0660); null: 0600.</summary>
    public string? StreamGroup { get; init; }

    /// <summary>QEMU datagram-socket ports to bind, [NAME=]PATH[,peer=GUEST] each, after the stream ports.</summary>
    public string[] Dgrams { get; init; } = [];

    /// <summary>The group allowed to send to the datagram sockets (0660); null: 0600.</summary>
    public string? DgramGroup { get; init; }
}

/// <summary>The switch could not start; <see cref="ExitCode"/> is what <c>fastbridge run</c> exits with.</summary>
internal sealed class SwitchStartException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
