using FastBridge.Switching;

namespace FastBridge.Control;

/// <summary>
/// The <c>port-set</c> verb: <c>{"verb":"port-set","name":"tap0","policy":{"vlan":{"access":10},"isolated":true}}</c>
/// changes the members given of a port's policy, live; the response has the port with its whole policy and, in
/// <c>removed</c>, the MAC entries flushed because the port no longer carries their VLAN.
/// </summary>
internal static class PortSetVerb
{
    public static ControlResponse Execute(Bridge bridge, ControlRequest request)
    {
        if (string.IsNullOrEmpty(request.Name))
        {
            return ControlResponse.Failure("port-set needs \"name\"");
        }

        if (request.Policy is null)
        {
            return ControlResponse.Failure("port-set needs \"policy\"");
        }

        PortPolicy? current = bridge.GetPortPolicy(request.Name);
        if (current is null)
        {
            return ControlResponse.Failure($"no port named '{request.Name}'");
        }

        if (!request.Policy.TryApply(current, out PortPolicy? policy, out string? error))
        {
            return ControlResponse.Failure(error);
        }

        int flushed = bridge.SetPortPolicy(request.Name, policy);
        return new ControlResponse { Ok = true, Port = ControlVerbs.Describe(bridge, bridge.FindPort(request.Name)!), Removed = flushed };
    }
}
