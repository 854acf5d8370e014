using System.CommandLine;
using FastBridge.Ports.Vxlan;
using Microsoft.Extensions.Logging;

namespace FastBridge.Cli.Commands;

/// <summary>
/// The VXLAN port kind on the command line: <c>run --vxlan NAME:vni=42,local=ADDR,remote=ADDR</c>,
/// <c>port add NAME --vxlan --vni N --local ADDR [--remote ADDR]... [--dstport P] [--group ADDR] [--vlan-map VID=VNI,...]</c>
/// and <c>fdb add MAC PORT --remote ADDR</c>.
/// </summary>
internal static class VxlanCli
{
    public static Option<string[]> RunOption() => new("--vxlan")
    {
        Description = "a VXLAN tunnel port NAME:vni=N,local=ADDR,remote=ADDR[,remote=ADDR...][,dstport=4789][,group=ADDR][,map=VID:VNI...][,mtu=N]; repeat for more",
        Arity = ArgumentArity.ZeroOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    public static Option<string?> FdbRemoteOption() => new("--remote")
    {
        Description = "on a VXLAN port: the remote VTEP (underlay address) the station is behind",
    };

    /// <summary>Splits <c>NAME:SPEC</c> and reads the spec; throws <see cref="Hosting.SwitchStartException"/> (usage) when it cannot.</summary>
    public static (string Name, VxlanPortOptions Options) ParseRun(string value)
    {
        int colon = value.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            throw new Hosting.SwitchStartException(ExitCodes.Usage, $"--vxlan {value}: expected NAME:vni=N,local=ADDR,remote=ADDR");
        }

        try
        {
            return (value[..colon], VxlanPortOptions.Parse(value[(colon + 1)..]));
        }
        catch (FormatException e)
        {
            throw new Hosting.SwitchStartException(ExitCodes.Usage, $"--vxlan {value[..colon]}: {e.Message}");
        }
    }

    /// <summary>Opens and adds every <c>NAME:SPEC</c> of <paramref name="specs"/>; a failure is a <see cref="Hosting.SwitchStartException"/>.</summary>
    public static void AttachAll(Bridge bridge, IEnumerable<string> specs, ILogger log)
    {
        foreach (string value in specs)
        {
            (string name, VxlanPortOptions options) = ParseRun(value);
            VxlanPort port = Hosting.StartupPorts.OpenAndAdd<VxlanPort, VxlanException>(bridge, () => VxlanPort.Open(name, options));

            log.LogInformation("VXLAN {Port} open: {Spec} (inner frames up to {Max} bytes{Hash})", name, options.ToSpec(), port.MaxInnerFrame,
                port.HashesSourcePort ? "" : ", fixed UDP source port: no CAP_NET_RAW");
        }
    }

    /// <summary>The options <c>port add</c> takes for a VXLAN port.</summary>
    internal sealed class PortAddOptions
    {
        private readonly Option<bool> _vxlan = new("--vxlan") { Description = "a VXLAN tunnel port NAME (needs --vni or --vlan-map, and --local)" };
        private readonly Option<int?> _vni = Numbers.OptionalOption("--vni", 1, 16777215, "a VNI from 1 to 16777215", "with --vxlan: the VNI of untagged frames");
        private readonly Option<string?> _local = new("--local") { Description = "with --vxlan: this VTEP's underlay address" };
        private readonly Option<string[]> _remote = new("--remote") { Description = "with --vxlan: a remote VTEP (repeat for more; floods go to each)", Arity = ArgumentArity.ZeroOrMore };
        private readonly Option<int?> _dstport = Numbers.OptionalOption("--dstport", 1, 65535, "a UDP port from 1 to 65535", "with --vxlan: the tunnel's UDP port (default 4789)");
        private readonly Option<string?> _group = new("--group") { Description = "with --vxlan: a multicast group floods go to instead of the remotes" };
        private readonly Option<string?> _vlanMap = new("--vlan-map") { Description = "with --vxlan: VID=VNI,... each VLAN carried untagged in its own VNI" };
        private readonly Option<int?> _mtu = Numbers.OptionalOption("--underlay-mtu", 576, 65535, "an MTU from 576 to 65535", "with --vxlan: the underlay MTU (default: the MTU of the interface holding --local)");

        public PortAddOptions(Command add)
        {
            foreach (Option option in new Option[] { _vxlan, _vni, _local, _remote, _dstport, _group, _vlanMap, _mtu })
            {
                add.Options.Add(option);
            }
        }

        /// <summary>The port's one-line options when --vxlan was given (null otherwise); <paramref name="problem"/> says what is wrong.</summary>
        public string? Spec(ParseResult result, out string? problem)
        {
            problem = null;
            if (!result.GetValue(_vxlan))
            {
                return null;
            }

            var parts = new List<string>();
            if (result.GetValue(_vni) is int vni)
            {
                parts.Add($"vni={vni}");
            }

            if (result.GetValue(_local) is not { } local)
            {
                problem = "--vxlan needs --local ADDR (this VTEP's underlay address)";
                return null;
            }

            parts.Add($"local={local}");
            parts.AddRange((result.GetValue(_remote) ?? []).Select(r => $"remote={r}"));
            if (result.GetValue(_dstport) is int port)
            {
                parts.Add($"dstport={port}");
            }

            if (result.GetValue(_group) is { } group)
            {
                parts.Add($"group={group}");
            }

            if (result.GetValue(_mtu) is int mtu)
            {
                parts.Add($"mtu={mtu}");
            }

            foreach (string pair in (result.GetValue(_vlanMap) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                parts.Add($"map={pair.Replace('=', ':')}");
            }

            string spec = string.Join(',', parts);
            try
            {
                VxlanPortOptions.Parse(spec); // the same reading the switch makes, so a typo fails here with the user's words
            }
            catch (FormatException e)
            {
                problem = e.Message;
                return null;
            }

            return spec;
        }
    }
}
