using System.CommandLine;
using FastBridge.Ports.Netdev;
using Microsoft.Extensions.Logging;

namespace FastBridge.Cli.Commands;

/// <summary>The netdev port kind on the command line: <c>run --netdev IFNAME</c> and <c>port add IFNAME --netdev</c>.</summary>
internal static class NetdevCli
{
    public static Option<string[]> RunOption() => new("--netdev")
    {
        Description = "existing interface to attach through AF_PACKET (a VM's vnetN tap, a veth, an uplink); repeat for more ports",
        Arity = ArgumentArity.ZeroOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    public static Option<string> RingOption()
    {
        var option = new Option<string>("--netdev-ring")
        {
            Description = "receive ring of the --netdev ports: frames (the default: TPACKET_V2, each frame handed over at once, RTT in microseconds) or blocks (TPACKET_V3, handed over when full or after 1 ms: up to a millisecond per hop under light load)",
            DefaultValueFactory = _ => "frames",
        };
        option.AcceptOnlyFromAmong("frames", "blocks");
        return option;
    }

    /// <summary>The port options <c>--netdev-ring</c> asks for.</summary>
    public static NetdevPortOptions OptionsFor(string? ring) =>
        NetdevPortOptions.Default with { LowLatency = ring != "blocks" };

    public static Option<bool> PortAddOption() => new("--netdev")
    {
        Description = "attach the existing interface NAME through an AF_PACKET socket instead of opening a TAP",
    };

    /// <summary>
    /// Attaches every interface of <paramref name="names"/> to <paramref name="bridge"/>; a failure is a
    /// <see cref="Hosting.SwitchStartException"/> carrying the exit code and the reason.
    /// </summary>
    public static void AttachAll(Bridge bridge, string[] names, ILogger log, NetdevPortOptions? options = null)
    {
        foreach (string name in names)
        {
            if (Array.IndexOf(names, name) != Array.LastIndexOf(names, name))
            {
                throw new Hosting.SwitchStartException(ExitCodes.Usage, $"--netdev {name} given twice");
            }

            NetdevPort port = Hosting.StartupPorts.OpenAndAdd<NetdevPort, NetdevException>(bridge, () => NetdevPort.Open(name, options));

            log.LogInformation("netdev {Interface} attached (ifindex {Index}, MTU {Mtu}, {Ring} ring{Offloads}{Up})", name, port.InterfaceIndex, port.Mtu,
                port.LowLatency ? "TPACKET_V2 frame" : "TPACKET_V3 block", port.AcceptsOffloads ? ", with offloads" : "", port.BroughtUp ? ", brought up" : "");
        }
    }
}
