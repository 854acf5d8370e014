using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using FastBridge.Control;
using FastBridge.Frames;

namespace FastBridge.Cli.Commands;

/// <summary>
/// <c>fastbridge capture [--port NAME]... [--vlan VID] [--mac MAC] [--ethertype T] [-c COUNT] [-s SNAPLEN] -w FILE|-</c>:
/// copies of the selected frames from a running switch, written as pcapng (one interface per port, directions,
/// nanosecond timestamps, the capture's drops at the end). <c>-w -</c> streams to standard output, one flush per
/// block, for <c>| tcpdump -r -</c> or <c>| wireshark -k -i -</c>. Ctrl-C, or COUNT frames, end it with a valid file.
/// </summary>
internal static class CaptureCommand
{
    public static Command Create()
    {
        var port = new Option<string[]>("--port") { Description = "capture on port NAME only; repeat for several (default: every port)", AllowMultipleArgumentsPerToken = false };
        var vlan = Numbers.OptionalOption("--vlan", 0, 4095, "0 to 4095", "only frames of VLAN VID (the tag's VID; an untagged frame is in its port's access or native VLAN)");
        var mac = new Option<string?>("--mac") { Description = "only frames from or to this station (aa:bb:cc:dd:ee:ff)" };
        mac.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string?>() is { } text && !MacAddress.TryParse(text, out _))
            {
                r.AddError($"--mac: '{text}' is not a MAC address (expected aa:bb:cc:dd:ee:ff)");
            }
        });
        var etherType = new Option<int?>("--ethertype")
        {
            Description = "only frames of this EtherType: 0x0800, 2054, or ipv4, ipv6, arp, vlan, qinq (outer, or after the VLAN tags)",
            CustomParser = ParseEtherType,
        };
        var count = Numbers.Option("--count", 0, int.MaxValue, "0 or more frames (0: until Ctrl-C)", "stop after COUNT frames (default: until Ctrl-C)");
        count.Aliases.Add("-c");
        var snaplen = Numbers.Option("--snaplen", 0, CaptureVerb.MaxSnaplen, $"0 to {CaptureVerb.MaxSnaplen} bytes (0: whole frames)", "bytes kept of each frame (default 0: whole frames)");
        snaplen.Aliases.Add("-s");
        var write = new Option<string>("--write") { Description = "pcapng file to write; - for standard output (streamed, for tcpdump -r - or wireshark -k -i -)", Required = true };
        write.Aliases.Add("-w");
        var buffer = Numbers.Option("--buffer-size", CaptureVerb.MinRingKib, CaptureVerb.MaxRingKib, $"{CaptureVerb.MinRingKib} to {CaptureVerb.MaxRingKib} KiB",
            $"KiB of copy ring per worker (default {CaptureVerb.DefaultRingKib}); copies that find it full are dropped and counted", CaptureVerb.DefaultRingKib);
        buffer.Aliases.Add("-B");
        var command = new Command("capture", "Write copies of a running switch's frames to a pcapng file or standard output")
        {
            port, vlan, mac, etherType, count, snaplen, write, buffer, ControlCall.Name, ControlCall.Control,
        };
        command.SetAction((result, cancel) =>
        {
            var spec = new CaptureSpec
            {
                Ports = result.GetValue(port) is { Length: > 0 } ports ? [.. ports] : null,
                Vlan = result.GetValue(vlan),
                Mac = result.GetValue(mac),
                Ethertype = result.GetValue(etherType),
                Snaplen = result.GetValue(snaplen) is > 0 and var s ? s : null,
                Count = result.GetValue(count) is > 0 and var c ? c : null,
                RingKib = result.GetValue(buffer),
            };
            return CaptureClient.RunAsync(ControlCall.SocketPath(result), spec, result.GetValue(write)!, cancel);
        });
        return command;
    }

    private static int? ParseEtherType(ArgumentResult result)
    {
        string text = result.Tokens[^1].Value;
        int? value = text.ToLowerInvariant() switch
        {
            "ipv4" or "ip" => 0x0800,
            "arp" => 0x0806,
            "ipv6" => 0x86dd,
            "vlan" => 0x8100,
            "qinq" => 0x88a8,
            _ when text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
                && int.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int hex) => hex,
            _ when int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int number) => number,
            _ => null,
        };
        if (value is not (>= 0 and <= 0xffff))
        {
            result.AddError($"--ethertype: '{text}' is not an EtherType; 0x0000 to 0xffff (or 0 to 65535), or ipv4, ipv6, arp, vlan, qinq");
            return null;
        }

        return value;
    }
}
