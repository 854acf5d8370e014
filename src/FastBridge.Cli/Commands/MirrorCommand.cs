using System.CommandLine;
using FastBridge.Cli.Output;
using FastBridge.Control;
using FastBridge.Switching;

namespace FastBridge.Cli.Commands;

/// <summary>
/// <c>fastbridge mirror add NAME --from PORT[,PORT...] [--rx|--tx|--both] [--vlan VID] --to PORT</c>, <c>mirror del
/// NAME</c> and <c>mirror list</c>: port mirrors (SPAN sessions, Open vSwitch mirrors) on a running switch, live.
/// Bad usage (no --from or --to, two directions, a VLAN out of 1-4094, the output among the sources) exits 2 before
/// any request; what only the switch knows (an unknown port, a duplicate name) exits 1.
/// </summary>
internal static class MirrorCommand
{
    public static Command Create()
    {
        var addName = new Argument<string>("NAME") { Description = "the mirror's name" };
        var from = new Option<string>("--from") { Description = "source ports, comma-separated: their frames are copied", Required = true };
        var to = new Option<string>("--to") { Description = "output port: gets only the copies (no floods, no unicast; its own input is ignored)", Required = true };
        var rx = new Option<bool>("--rx") { Description = "copy the frames the source ports receive" };
        var tx = new Option<bool>("--tx") { Description = "copy the frames the source ports send (as tagged on the wire)" };
        var both = new Option<bool>("--both") { Description = "copy both (the default)" };
        var vlan = new Option<string?>("--vlan") { Description = "copy only frames of this VLAN (1-4094)" };
        var add = new Command("add", "Add a port mirror: copies of the frames received and/or sent by the --from ports leave by the --to port")
        {
            addName, from, to, rx, tx, both, vlan,
        };
        add.Validators.Add(r =>
        {
            if ((r.GetValue(rx) ? 1 : 0) + (r.GetValue(tx) ? 1 : 0) + (r.GetValue(both) ? 1 : 0) > 1)
            {
                r.AddError("give at most one of --rx, --tx, --both");
            }

            if (r.GetValue(vlan) is { } text && !VlanSet.TryParseVid(text, out _, out string? error))
            {
                r.AddError($"--vlan: {error}");
            }

            string[] sources = Sources(r.GetValue(from));
            if (r.GetResult(from) is not null && sources.Length == 0)
            {
                r.AddError("--from needs one or more port names, like tap1,tap2");
            }

            if (r.GetValue(to) is { } output && Array.IndexOf(sources, output) >= 0)
            {
                r.AddError($"port '{output}' cannot be both a source (--from) and the output (--to) of a mirror");
            }
        });
        add.WithControlOptions().SetAction((result, cancel) =>
        {
            var mirror = new MirrorInfo
            {
                Name = result.GetValue(addName),
                From = [.. Sources(result.GetValue(from))],
                To = result.GetValue(to),
                Direction = result.GetValue(rx) ? "rx" : result.GetValue(tx) ? "tx" : "both",
                Vlan = result.GetValue(vlan) is { } text && VlanSet.TryParseVid(text, out int vid, out _) ? vid : null,
            };
            return ControlCall.RunAsync(result, new ControlRequest { Verb = "mirror-add", Mirror = mirror },
                r => WriteMirrors(r.Mirrors ?? []), cancel: cancel);
        });

        var delName = new Argument<string>("NAME") { Description = "the mirror's name" };
        var del = new Command("del", "Delete a port mirror; its output port switches again") { delName };
        del.WithControlOptions().SetAction((result, cancel) =>
            ControlCall.RunAsync(result, new ControlRequest { Verb = "mirror-del", Name = result.GetValue(delName) },
                _ => Console.Out.WriteLine($"mirror {result.GetValue(delName)} deleted"), cancel: cancel));

        var list = new Command("list", "List the port mirrors");
        list.WithControlOptions().SetAction((result, cancel) =>
            ControlCall.RunAsync(result, new ControlRequest { Verb = "mirror-list" }, r => WriteMirrors(r.Mirrors ?? []), cancel: cancel));

        return new Command("mirror", "Add, delete and list port mirrors (SPAN): copies of ports' traffic out of another port, for an IDS or tcpdump")
        {
            add, del, list,
        };
    }

    private static string[] Sources(string? text) =>
        text is null ? [] : text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    private static void WriteMirrors(List<MirrorInfo> mirrors)
    {
        var table = new TableWriter("name", "from", "direction", "vlan", "to", "state");
        foreach (MirrorInfo mirror in mirrors)
        {
            table.Row(mirror.Name ?? "", string.Join(',', mirror.From ?? []), mirror.Direction ?? "both",
                mirror.Vlan?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "all", mirror.To ?? "",
                mirror.Disabled is { } why ? $"disabled ({why})" : (mirror.From?.Count ?? 0) == 0 ? "no sources" : "active");
        }

        table.WriteTo(Console.Out);
    }
}
