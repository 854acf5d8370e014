using FastBridge.Ports.QemuSocket;
using Microsoft.Extensions.Logging;

namespace FastBridge.Control;

/// <summary><c>port-add</c> with <c>"stream": PATH</c>: a QEMU stream-socket port listening on PATH.</summary>
internal static partial class ControlVerbs
{
    private static ControlResponse StreamPortAdd(Bridge bridge, ControlRequest request)
    {
        if (string.IsNullOrEmpty(request.Name))
        {
            return ControlResponse.Failure("port-add needs \"name\"");
        }

        if (bridge.FindPort(request.Name) is not null)
        {
            return ControlResponse.Failure($"a port named '{request.Name}' is already in bridge {bridge.Name}");
        }

        StreamPort port;
        try
        {
            port = StreamPort.Listen(request.Name, request.Stream!, new StreamPortOptions
            {
                Group = request.Group,
                Log = bridge.LoggerFactory.CreateLogger("fastbridge.stream"),
            });
        }
        catch (IOException e)
        {
            return ControlResponse.Failure(e.Message);
        }

        return Add(bridge, port);
    }
}
