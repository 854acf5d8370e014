using System.CommandLine;
using System.CommandLine.Parsing;
using FastBridge.Cli.Output;
using FastBridge.Control;
using FastBridge.Switching;

namespace FastBridge.Cli.Commands;

/// <summary>
/// <c>fastbridge port vlan NAME --access VID | --trunk VIDS [--native VID] | --none</c> and
/// <c>fastbridge port set NAME --learning on|off ...</c>: a port's VLANs and flags, live (the <c>port-set</c> verb).
/// Bad usage (a VLAN out of 1-4094, two modes at once, no flag) is refused before any request, with exit code 2.
/// </summary>
internal static class PortPolicyCommands
{
    public static Command Vlan()
    {
        var name = new Argument<string>("NAME") { Description = "port name" };
        var access = new Option<string?>("--access") { Description = "access port of VLAN VID (1-4094): untagged on the wire (OVS tag=VID, Linux pvid untagged)" };
        var trunk = new Option<string?>("--trunk") { Description = "trunk carrying VIDS tagged, like 10,20,100-199 (OVS trunks=, Linux bridge vlan add ... tagged)" };
        var native = new Option<string?>("--native") { Description = "with --trunk: VLAN carried untagged (OVS vlan_mode=native-untagged, Linux pvid untagged)" };
        var none = new Option<bool>("--none") { Description = "no VLANs: VLAN transparent (the default)" };
        var command = new Command("vlan", "Set a port's VLANs: access, trunk (with an optional native VLAN) or none; entries of VLANs it no longer carries are flushed")
        {
            name, access, trunk, native, none,
        };
        command.Validators.Add(r =>
        {
            int modes = (r.GetValue(access) is not null ? 1 : 0) + (r.GetValue(trunk) is not null ? 1 : 0) + (r.GetValue(none) ? 1 : 0);
            if (modes != 1)
            {
                r.AddError("give exactly one of --access VID, --trunk VIDS or --none");
            }
            else if (r.GetValue(native) is not null && r.GetValue(trunk) is null)
            {
                r.AddError("--native goes with --trunk");
            }

            CheckVid(r, access);
            CheckVid(r, native);
            if (r.GetValue(trunk) is { } vids && !VlanSet.TryParse(vids, out _, out string? error))
            {
                r.AddError($"--trunk: {error}");
            }
        });
        command.WithControlOptions().SetAction((result, cancel) =>
        {
            var vlan = new PortVlanInfo
            {
                Mode = result.GetValue(none) ? "none" : null,
                Access = Vid(result.GetValue(access)),
                Trunk = result.GetValue(trunk),
                Native = Vid(result.GetValue(native)),
            };
            return Send(result, result.GetValue(name)!, new PortPolicyInfo { Vlan = vlan }, cancel);
        });
        return command;
    }

    public static Command Set()
    {
        var name = new Argument<string>("NAME") { Description = "port name" };
        Option<string?>[] flags =
        [
            Flag("--learning", "learn the sources of frames arriving here (bridge link set ... learning)"),
            Flag("--flood-unknown", "send unknown-unicast floods out of this port (bridge link set ... flood)"),
            Flag("--flood-multicast", "send multicast floods out of this port (mcast_flood)"),
            Flag("--flood-broadcast", "send broadcasts out of this port (bcast_flood)"),
            Flag("--isolated", "never exchange frames with another isolated port (isolated)"),
            Flag("--hairpin", "let a frame leave by the port it came in on (hairpin, VEPA)"),
        ];
        var command = new Command("set", "Set a port's flags, named and defaulted as the Linux bridge's bridge link set") { name };
        foreach (Option<string?> flag in flags)
        {
            command.Options.Add(flag);
        }

        command.Validators.Add(r =>
        {
            if (Array.TrueForAll(flags, f => r.GetResult(f) is null))
            {
                r.AddError("give at least one of --learning, --flood-unknown, --flood-multicast, --flood-broadcast, --isolated, --hairpin (on|off)");
            }
        });
        command.WithControlOptions().SetAction((result, cancel) =>
        {
            var policy = new PortPolicyInfo
            {
                Learning = On(result.GetValue(flags[0])),
                FloodUnknown = On(result.GetValue(flags[1])),
                FloodMulticast = On(result.GetValue(flags[2])),
                FloodBroadcast = On(result.GetValue(flags[3])),
                Isolated = On(result.GetValue(flags[4])),
                Hairpin = On(result.GetValue(flags[5])),
            };
            return Send(result, result.GetValue(name)!, policy, cancel);
        });
        return command;
    }

    /// <summary>The port's VLANs as <c>port list</c> shows them.</summary>
    public static string VlanText(PortPolicyInfo? policy) => policy?.Vlan switch
    {
        { Access: { } vid } => $"access {vid}",
        { Trunk: { } vids, Native: { } native } => $"trunk {vids} native {native}",
        { Trunk: { } vids } => $"trunk {vids}",
        _ => "-",
    };

    /// <summary>The flags that differ from the defaults, as <c>port list</c> shows them (<c>-</c> for none).</summary>
    public static string FlagsText(PortPolicyInfo? policy)
    {
        if (policy is null)
        {
            return "-";
        }

        var changed = new List<string>();
        Add(changed, policy.Learning, true, "learning");
        Add(changed, policy.FloodUnknown, true, "flood-unknown");
        Add(changed, policy.FloodMulticast, true, "flood-multicast");
        Add(changed, policy.FloodBroadcast, true, "flood-broadcast");
        Add(changed, policy.Isolated, false, "isolated");
        Add(changed, policy.Hairpin, false, "hairpin");
        return changed.Count == 0 ? "-" : string.Join(',', changed);
    }

    private static void Add(List<string> changed, bool? value, bool byDefault, string name)
    {
        if (value is { } v && v != byDefault)
        {
            changed.Add($"{name} {(v ? "on" : "off")}");
        }
    }

    private static Task<int> Send(ParseResult result, string port, PortPolicyInfo policy, CancellationToken cancel) =>
        ControlCall.RunAsync(result, new ControlRequest { Verb = "port-set", Name = port, Policy = policy }, r =>
        {
            var table = new TableWriter("name", "vlan", "flags", "flushed");
            table.Row(r.Port!.Name, VlanText(r.Port.Policy), FlagsText(r.Port.Policy), r.Removed ?? 0);
            table.WriteTo(Console.Out);
        }, cancel: cancel);

    private static Option<string?> Flag(string name, string description)
    {
        var option = new Option<string?>(name) { Description = $"on|off: {description}" };
        option.AcceptOnlyFromAmong("on", "off");
        return option;
    }

    private static bool? On(string? value) => value is null ? null : value == "on";

    private static int? Vid(string? text) => text is not null && VlanSet.TryParseVid(text, out int vid, out _) ? vid : null;

    private static void CheckVid(CommandResult r, Option<string?> option)
    {
        if (r.GetValue(option) is { } text && !VlanSet.TryParseVid(text, out _, out string? error))
        {
            r.AddError($"{option.Name}: {error}");
        }
    }
}
