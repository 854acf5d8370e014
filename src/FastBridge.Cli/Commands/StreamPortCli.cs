using System.CommandLine;
using FastBridge.Ports.QemuSocket;
using Microsoft.Extensions.Logging;

namespace FastBridge.Cli.Commands;

/// <summary><c>--stream [NAME=]PATH</c> and <c>--socket-group</c> of <c>fastbridge run</c>: QEMU stream-socket ports.</summary>
internal static class StreamPortCli
{
    public static Option<string[]> Streams() => new("--stream")
    {
        Description = "listen on unix socket PATH for QEMU's -netdev stream,server=off,addr.type=unix,addr.path=PATH (port named after the file, or NAME=PATH); repeat for more",
        Arity = ArgumentArity.ZeroOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    public static Option<string?> Group() => new("--stream-group")
    {
        Description = "group allowed to connect to --stream sockets (mode 0660); default: mode 0600, the switch's user only",
    };

    /// <summary>NAME=PATH, or PATH whose file name without extension names the port.</summary>
    public static (string Name, string Path) Parse(string value)
    {
        int eq = value.IndexOf('=', StringComparison.Ordinal);
        if (eq > 0)
        {
            return (value[..eq], value[(eq + 1)..]);
        }

        return (Path.GetFileNameWithoutExtension(value), value);
    }

    /// <summary>Adds one port per --stream value; false (with the reason written) when a socket cannot be made.</summary>
    public static bool AddAll(Bridge bridge, string[] streams, string? group, ILoggerFactory logging)
    {
        foreach (string value in streams)
        {
            (string name, string path) = Parse(value);
            try
            {
                StreamPort port = StreamPort.Listen(name, path, new StreamPortOptions { Group = group, Log = logging.CreateLogger("fastbridge.stream") });
                bridge.AddPort(port);
                logging.CreateLogger("fastbridge").LogInformation("stream port {Name} listening on {Path}", name, port.SocketPath);
            }
            catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException)
            {
                Console.Error.WriteLine($"fastbridge: --stream {value}: {e.Message}");
                return false;
            }
        }

        return true;
    }
}
