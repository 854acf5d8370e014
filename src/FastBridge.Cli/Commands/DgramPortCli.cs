using System.CommandLine;
using FastBridge.Ports.QemuDgram;
using Microsoft.Extensions.Logging;

namespace FastBridge.Cli.Commands;

/// <summary>
/// The datagram-socket port kind on the command line: <c>run --dgram [NAME=]PATH[,peer=GUEST]</c> with
/// <c>--dgram-group G</c>, and <c>port add NAME --dgram PATH [--dgram-peer GUEST] [--socket-group G]</c>.
/// </summary>
internal static class DgramPortCli
{
    private const string PeerKey = ",peer=";

    public static Option<string[]> RunOption() => new("--dgram")
    {
        Description = "bind unix datagram socket PATH for QEMU's -netdev dgram,local.type=unix,local.path=GUEST,remote.type=unix,remote.path=PATH "
            + "(port named after the file, or NAME=PATH; ,peer=GUEST takes frames only from GUEST, else the first sender is the peer); repeat for more",
        Arity = ArgumentArity.ZeroOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    public static Option<string?> GroupOption() => new("--dgram-group")
    {
        Description = "group allowed to send to --dgram sockets (mode 0660); default: mode 0600, the switch's user only",
    };

    public static Option<string?> PortAddOption() => new("--dgram")
    {
        Description = "bind this unix datagram socket for QEMU's -netdev dgram (remote.path=PATH) instead of opening a TAP",
    };

    public static Option<string?> PortAddPeerOption() => new("--dgram-peer")
    {
        Description = "with --dgram: the guest's socket (QEMU's local.path); only its datagrams are taken (default: the first sender)",
    };

    /// <summary>[NAME=]PATH[,peer=GUEST]: a PATH alone names the port after its file name without extension.</summary>
    public static (string Name, string Path, string? Peer) Parse(string value)
    {
        string? peer = null;
        int at = value.LastIndexOf(PeerKey, StringComparison.Ordinal);
        if (at >= 0)
        {
            peer = value[(at + PeerKey.Length)..];
            value = value[..at];
        }

        (string name, string path) = StreamPortCli.Parse(value);
        return (name, path, peer);
    }

    /// <summary>Adds one port per --dgram value; false (with the reason written) when a socket cannot be made.</summary>
    public static bool AddAll(Bridge bridge, IEnumerable<string> values, string? group, ILogger log)
    {
        foreach (string value in values)
        {
            (string name, string path, string? peer) = Parse(value);
            try
            {
                DgramPort port = DgramPort.Bind(name, path, new DgramPortOptions { Group = group, Peer = peer });
                bridge.AddPort(port);
                log.LogInformation("dgram port {Name} bound to {Path} (peer {Peer})", name, port.SocketPath, port.Peer ?? "learned from the first frame");
                if (DgramPort.QueueLimitWarning() is { } warning)
                {
                    log.LogWarning("{Warning}", warning);
                }
            }
            catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"fastbridge: --dgram {value}: {e.Message}");
                return false;
            }
        }

        return true;
    }
}
