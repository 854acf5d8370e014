using FastBridge.Ports;
using FastBridge.Ports.VhostUser;

namespace FastBridge.Control;

/// <summary>The port verbs: <c>status</c>, <c>port-list</c>, <c>port-add</c> (each port kind), <c>port-del</c>.</summary>
internal static partial class ControlVerbs
{
    private static ControlResponse Status(Bridge bridge) => new()
    {
        Ok = true,
        Name = bridge.Name,
        Workers = bridge.WorkerCount,
        Ports = PortList(bridge),
        Table = Table(bridge.MacTable),
    };

    private static List<PortInfo> PortList(Bridge bridge)
    {
        var ports = new List<PortInfo>();
        foreach (Port port in bridge.Ports)
        {
            ports.Add(Describe(bridge, port));
        }

        return ports;
    }

    private static ControlResponse PortAdd(Bridge bridge, ControlRequest request, List<int> fds)
    {
        if (request.Queues is not null && (request.Stream ?? request.VhostUser ?? request.Vxlan ?? request.Kind ?? request.Dgram) is not null)
        {
            return ControlResponse.Failure("\"queues\" applies to a TAP (opened by name, or the count of queue descriptors sent with \"fd\": true)");
        }

        if (request.Stream is not null)
        {
            return StreamPortAdd(bridge, request);
        }

        if (request.Dgram is not null)
        {
            return DgramPortAdd(bridge, request);
        }

        if (request.Fd == true)
        {
            if (fds.Count == 0)
            {
                return ControlResponse.Failure("\"fd\": true but no descriptor came with the request (send it as SCM_RIGHTS)");
            }

            int queueFds = request.Queues ?? 1;
            if (fds.Count != queueFds)
            {
                return ControlResponse.Failure($"\"fd\": true with {queueFds} queue(s) needs {queueFds} descriptor(s) sent with the request (SCM_RIGHTS, in queue order); {fds.Count} came");
            }

            TapPort adopted = TapPort.AdoptQueues(fds.ToArray(), request.Name, ownsFds: true);
            fds.Clear(); // the port owns them now, whatever happens next
            return Add(bridge, adopted);
        }

        if (string.IsNullOrEmpty(request.Name))
        {
            return ControlResponse.Failure("port-add needs \"name\"");
        }

        if (bridge.FindPort(request.Name) is not null)
        {
            return ControlResponse.Failure($"a port named '{request.Name}' is already in bridge {bridge.Name}");
        }

        if (request.Kind == "netdev")
        {
            return Add(bridge, Ports.Netdev.NetdevPort.Open(request.Name));
        }

        if (request.Vxlan is { } spec)
        {
            return Add(bridge, VxlanVerbs.Open(request.Name, spec));
        }

        if (request.VhostUser is { } socketPath)
        {
            return Add(bridge, VhostUserPortSpec.Open(request.Name, socketPath, request.Client == true, group: null, request.RequireSealed == true));
        }

        if (request.RequireSealed is not null)
        {
            return ControlResponse.Failure("\"require_sealed\" goes with \"vhost_user\"");
        }

        return Add(bridge, TapPort.Open(request.Name, request.Queues is { } queues ? new TapPortOptions { Queues = queues } : null));
    }

    private static ControlResponse Add(Bridge bridge, Port port)
    {
        try
        {
            bridge.AddPort(port);
        }
        catch
        {
            port.Dispose(); // a device this request created goes away again
            throw;
        }

        return new ControlResponse { Ok = true, Port = Describe(bridge, port) };
    }

    private static ControlResponse PortDel(Bridge bridge, ControlRequest request)
    {
        if (string.IsNullOrEmpty(request.Name))
        {
            return ControlResponse.Failure("port-del needs \"name\"");
        }

        return bridge.RemovePort(request.Name)
            ? new ControlResponse { Ok = true }
            : ControlResponse.Failure($"no port named '{request.Name}'");
    }

    /// <summary>The port as port-list shows it: what the bridge knows of it, and what its kind says (<see cref="Port.Describe"/>).</summary>
    internal static PortInfo Describe(Bridge bridge, Port port)
    {
        var info = new PortInfo
        {
            Policy = bridge.GetPortPolicy(port.Name) is { } policy ? PortPolicyInfo.From(policy) : null,
            Name = port.Name,
            Id = port.Id,
            Kind = port.Kind,
            State = port.State.Name(),
            Reason = port.State == PortState.Up ? null : port.StateReason,
        };
        port.Describe(info);
        return info;
    }
}
