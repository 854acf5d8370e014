using System.CommandLine;
using FastBridge.Cli.Output;
using FastBridge.Control;
using FastBridge.Frames;

namespace FastBridge.Cli.Commands;

/// <summary><c>fastbridge fdb show|add|del|flush</c>: the MAC table of a running switch.</summary>
internal static class FdbCommand
{
    public static Command Create()
    {
        var showPort = new Option<string?>("--port") { Description = "only entries on this port" };
        var showVlan = Numbers.OptionalOption("--vlan", 0, 4095, "a VLAN id from 0 to 4095", "only entries in this VLAN");
        var show = new Command("show", "List the MAC table: MAC, VLAN, port, static/dynamic, age") { showPort, showVlan };
        show.WithControlOptions().SetAction((result, cancel) =>
            ControlCall.RunAsync(result, new ControlRequest { Verb = "fdb-show", Port = result.GetValue(showPort), Vlan = result.GetValue(showVlan) },
                r => WriteEntries(r.Entries ?? []), cancel: cancel));

        var addMac = MacArgument();
        var addPort = new Argument<string>("PORT") { Description = "port the station is behind" };
        var addVlan = Numbers.OptionalOption("--vlan", 0, 4095, "a VLAN id from 0 to 4095", "VLAN id (default 0: untagged)");
        Option<string?> addRemote = VxlanCli.FdbRemoteOption();
        var add = new Command("add", "Add a static entry (never ages, never moved by learning)") { addMac, addPort, addVlan, addRemote };
        add.WithControlOptions().SetAction((result, cancel) =>
            ControlCall.RunAsync(result, new ControlRequest
            {
                Verb = "fdb-add",
                Mac = result.GetValue(addMac),
                Port = result.GetValue(addPort),
                Vlan = result.GetValue(addVlan),
                Remote = result.GetValue(addRemote),
            }, _ => Console.Out.WriteLine($"static entry {Normalised(result.GetValue(addMac))} vlan {result.GetValue(addVlan) ?? 0} -> {result.GetValue(addPort)}{(result.GetValue(addRemote) is { } r ? $" (remote {r})" : "")} added"), cancel: cancel));

        var delMac = MacArgument();
        var delVlan = Numbers.OptionalOption("--vlan", 0, 4095, "a VLAN id from 0 to 4095", "VLAN id (default 0)");
        var del = new Command("del", "Remove the entry of a station, static or dynamic") { delMac, delVlan };
        del.WithControlOptions().SetAction((result, cancel) =>
            ControlCall.RunAsync(result, new ControlRequest { Verb = "fdb-del", Mac = result.GetValue(delMac), Vlan = result.GetValue(delVlan) },
                _ => Console.Out.WriteLine($"entry {Normalised(result.GetValue(delMac))} vlan {result.GetValue(delVlan) ?? 0} removed"), cancel: cancel));

        var flushPort = new Option<string?>("--port") { Description = "only entries on this port" };
        var flush = new Command("flush", "Remove the learned (dynamic) entries; static ones stay") { flushPort };
        flush.WithControlOptions().SetAction((result, cancel) =>
            ControlCall.RunAsync(result, new ControlRequest { Verb = "fdb-flush", Port = result.GetValue(flushPort) },
                r => Console.Out.WriteLine($"{StatusCommand.Plural(r.Removed ?? 0, "entry", "entries")} flushed"), cancel: cancel));

        return new Command("fdb", "Show and edit the MAC table (forwarding database) of a running switch") { show, add, del, flush };
    }

    /// <summary>The MAC as the switch stores and shows it (lower case, colons), whatever way it was typed.</summary>
    private static string Normalised(string? mac) => MacAddress.TryParse(mac, out MacAddress parsed) ? parsed.ToString() : mac ?? "";

    private static Argument<string> MacArgument()
    {
        var mac = new Argument<string>("MAC") { Description = "station address, aa:bb:cc:dd:ee:ff" };
        mac.Validators.Add(r =>
        {
            if (!MacAddress.TryParse(r.GetValueOrDefault<string>(), out _))
            {
                r.AddError($"'{r.GetValueOrDefault<string>()}' is not a MAC address (aa:bb:cc:dd:ee:ff)");
            }
        });
        return mac;
    }

    private static void WriteEntries(List<FdbEntry> entries)
    {
        bool remotes = entries.Exists(e => e.Remote is not null); // a remote column only where VXLAN ports have entries
        var table = remotes ? new TableWriter("mac", "vlan", "port", "type", "age", "remote") : new TableWriter("mac", "vlan", "port", "type", "age");
        foreach (FdbEntry entry in entries)
        {
            string age = entry.Type == "static" ? "-" : $"{entry.Age}s";
            if (remotes)
            {
                table.Row(entry.Mac, entry.Vlan, entry.Port, entry.Type, age, entry.Remote ?? "-");
            }
            else
            {
                table.Row(entry.Mac, entry.Vlan, entry.Port, entry.Type, age);
            }
        }

        table.WriteTo(Console.Out);
    }
}
