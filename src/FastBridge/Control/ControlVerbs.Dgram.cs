using FastBridge.Ports.QemuDgram;

namespace FastBridge.Control;

/// <summary><c>port-add</c> with <c>"dgram": PATH</c>: a QEMU datagram-socket port bound to PATH.</summary>
internal static partial class ControlVerbs
{
    private static ControlResponse DgramPortAdd(Bridge bridge, ControlRequest request)
    {
        if (string.IsNullOrEmpty(request.Name))
        {
            return ControlResponse.Failure("port-add needs \"name\"");
        }

        if (bridge.FindPort(request.Name) is not null)
        {
            return ControlResponse.Failure($"a port named '{request.Name}' is already in bridge {bridge.Name}");
        }

        DgramPort port;
        try
        {
            port = DgramPort.Bind(request.Name, request.Dgram!, new DgramPortOptions { Group = request.Group, Peer = request.DgramPeer });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return ControlResponse.Failure(e.Message);
        }

        return Add(bridge, port);
    }
}
