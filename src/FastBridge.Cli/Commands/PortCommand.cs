using System.CommandLine;
using FastBridge.Cli.Output;
using FastBridge.Control;
using FastBridge.Ports;

namespace FastBridge.Cli.Commands;

/// <summary><c>fastbridge port add|del|list</c> on a running switch.</summary>
internal static class PortCommand
{
    public static Command Create()
    {
        var addName = new Argument<string>("NAME") { Description = "port name: the TAP device to create or attach (with --fd: the name to give the port)" };
        Option<int[]?> fd = FdListOption();
        Option<bool> netdev = NetdevCli.PortAddOption();
        var vhostUser = new Option<string?>("--vhost-user") { Description = "a vhost-user port on this unix socket (created here; with --client: the VM's socket to connect to)" };
        var client = new Option<bool>("--client") { Description = "with --vhost-user: connect to a socket the VM (QEMU server=on) listens on" };
        var requireSealed = new Option<bool>("--require-sealed") { Description = "with --vhost-user: refuse a VM whose guest memory cannot be sealed against shrinking (hugetlbfs-backed frontends such as DPDK's virtio-user)" };
        var stream = new Option<string?>("--stream") { Description = "listen on this unix socket for QEMU's -netdev stream instead of opening a TAP" };
        var queues = Numbers.OptionalOption("--queues", 1, TapPort.MaxQueues, $"1 to {TapPort.MaxQueues} queues",
            "open the TAP with this many queues (IFF_MULTI_QUEUE when more than 1), each read by one worker");
        var group = new Option<string?>("--socket-group") { Description = "with --stream or --dgram: group allowed to connect or send (mode 0660); default 0600" };
        Option<string?> dgram = DgramPortCli.PortAddOption();
        Option<string?> dgramPeer = DgramPortCli.PortAddPeerOption();
        var add = new Command("add", "Add a TAP port: create or attach the device NAME, or adopt the fd given with --fd; or another kind (--netdev, --vhost-user, --stream, --dgram, --vxlan)") { addName, fd, netdev, vhostUser, client, requireSealed, stream, group, dgram, dgramPeer, queues };
        var vxlan = new VxlanCli.PortAddOptions(add);
        add.WithControlOptions().SetAction((result, cancel) =>
        {
            int[]? handOver = result.GetValue(fd) is { Length: > 0 } given ? given : null;
            if (handOver is not null && result.GetValue(queues) is not null)
            {
                Console.Error.WriteLine("fastbridge: --queues goes with a TAP opened by name; with --fd the queues are the fds given (--fd 5,6,7)");
                return Task.FromResult(ExitCodes.Usage);
            }

            if (handOver is not null && CheckTapFds(handOver) is { } problem)
            {
                Console.Error.WriteLine($"fastbridge: {problem}");
                return Task.FromResult(ExitCodes.Failed);
            }

            if (vxlan.Spec(result, out string? vxlanProblem) is var vxlanSpec && vxlanProblem is not null)
            {
                Console.Error.WriteLine($"fastbridge: {vxlanProblem}");
                return Task.FromResult(ExitCodes.Usage);
            }

            if (result.GetValue(requireSealed) && result.GetValue(vhostUser) is null)
            {
                Console.Error.WriteLine("fastbridge: --require-sealed goes with --vhost-user");
                return Task.FromResult(ExitCodes.Usage);
            }

            var request = new ControlRequest
            {
                Verb = "port-add",
                Name = result.GetValue(addName),
                Fd = handOver is null ? null : true,
                Kind = result.GetValue(netdev) ? "netdev" : null,
                VhostUser = result.GetValue(vhostUser),
                Client = result.GetValue(client) ? true : null,
                RequireSealed = result.GetValue(requireSealed) ? true : null,
                Stream = result.GetValue(stream) is { } path ? Path.GetFullPath(path) : null,
                Group = result.GetValue(group),
                Dgram = result.GetValue(dgram) is { } dgramPath ? Path.GetFullPath(dgramPath) : null,
                DgramPeer = result.GetValue(dgramPeer) is { } peerPath ? Path.GetFullPath(peerPath) : null,
                Vxlan = vxlanSpec,
                Queues = handOver is { Length: > 1 } ? handOver.Length : result.GetValue(queues),
            };
            return ControlCall.RunAsync(result, request, r =>
                Console.Out.WriteLine($"port {r.Port!.Name} added (id {r.Port.Id}, {r.Port.Kind}{(r.Port.Device is { } d ? $", device {d}" : "")}{(r.Port.Queues is { } q ? $", {q} queues" : "")})"),
                handOver, cancel);
        });

        var delName = new Argument<string>("NAME") { Description = "port name" };
        var del = new Command("del", "Remove a port (a TAP device the switch created goes away with it)") { delName };
        del.WithControlOptions().SetAction((result, cancel) =>
            ControlCall.RunAsync(result, new ControlRequest { Verb = "port-del", Name = result.GetValue(delName) },
                _ => Console.Out.WriteLine($"port {result.GetValue(delName)} removed"), cancel: cancel));

        var list = new Command("list", "List the ports");
        list.WithControlOptions().SetAction((result, cancel) =>
            ControlCall.RunAsync(result, new ControlRequest { Verb = "port-list" }, r => WritePorts(r.Ports ?? []), cancel: cancel));

        return new Command("port", "Add, remove and list the ports of a running switch; set their VLANs and flags")
        {
            add, del, list, PortPolicyCommands.Vlan(), PortPolicyCommands.Set(),
        };
    }

    /// <summary>
    /// <c>--fd N</c>, <c>--fd 5,6,7</c> or <c>--fd 5 --fd 6</c>: one TAP fd, or the queue fds of one multi-queue TAP in
    /// queue order (1 to 64, each once).
    /// </summary>
    private static Option<int[]?> FdListOption() => new("--fd")
    {
        Description = "hand over this open TAP file descriptor of the calling process instead of opening NAME; " +
            "several (5,6,7 or --fd repeated): the queue fds of one multi-queue TAP, in queue order",
        CustomParser = r =>
        {
            var fds = new List<int>();
            foreach (System.CommandLine.Parsing.Token token in r.Tokens)
            {
                foreach (string part in token.Value.Split(','))
                {
                    if (!int.TryParse(part, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int number))
                    {
                        r.AddError($"--fd: '{part}' is not a file descriptor number (0 or more; several: 5,6,7)");
                        return null;
                    }

                    if (fds.Contains(number))
                    {
                        r.AddError($"--fd: fd {number} is given twice (each queue fd once)");
                        return null;
                    }

                    fds.Add(number);
                }
            }

            if (fds.Count > TapPort.MaxQueues)
            {
                r.AddError($"--fd: {fds.Count} fds; a TAP port has at most {TapPort.MaxQueues} queues");
                return null;
            }

            return fds.Count == 0 ? null : fds.ToArray();
        },
    };

    /// <summary>
    /// Checks, before sending them, that <paramref name="fds"/> are open in this process and are attached TAP fds with
    /// IFF_NO_PI (several: the queues of one multi-queue TAP): the same checks the switch makes when it adopts them, but
    /// here the message names the user's numbers (the switch receives them under others) and a number the shell never
    /// opened is not sent by mistake (the runtime has descriptors of its own). Returns why they cannot be sent, or null.
    /// </summary>
    private static string? CheckTapFds(int[] fds)
    {
        try
        {
            // Adopting duplicates runs every check and leaves the caller's fds open; the probe port is dropped at once.
            foreach (int fd in fds)
            {
                try
                {
                    using TapPort single = TapPort.Adopt(fd, ownsFd: false);
                }
                catch (TapException e) when (e.Errno == 9) // EBADF
                {
                    return $"fd {fd} is not open in this process: open the TAP device in the program that runs fastbridge and let fastbridge inherit it (README: 'Handing over a TAP file descriptor')";
                }
            }

            using TapPort probe = TapPort.AdoptQueues(fds, ownsFds: false);
            return null;
        }
        catch (TapException e)
        {
            return e.Message.Replace("cannot adopt fd", "cannot hand over fd", StringComparison.Ordinal);
        }
    }

    private static void WritePorts(List<PortInfo> ports)
    {
        var table = new TableWriter("name", "id", "kind", "state", "device", "vlan", "flags");
        foreach (PortInfo port in ports)
        {
            table.Row(port.Name, port.Id, port.Kind, port.Reason is null ? port.State : $"{port.State} ({port.Reason})", port.Connected is { } connected
                ? $"{port.Device} ({(connected ? "connected" : "no frontend")}, features {port.Features})"
                : port.Queues is { } queues ? $"{port.Device} ({queues} queues)" : port.Device ?? "-",
                PortPolicyCommands.VlanText(port.Policy), PortPolicyCommands.FlagsText(port.Policy));
        }

        table.WriteTo(Console.Out);
    }
}
