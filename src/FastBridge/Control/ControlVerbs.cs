using FastBridge.Ports;
using FastBridge.Switching;
using Microsoft.Extensions.ObjectPool;

namespace FastBridge.Control;

/// <summary>
/// What each verb of the control protocol does to a <see cref="Bridge"/>. Every failure becomes an error response;
/// nothing here throws to the connection.
/// </summary>
/// <remarks>
/// Thread-safety: runs on a thread-pool thread of the connection that asked, never on a dataplane thread; it calls
/// only the bridge's control methods (serialized by the bridge's control lock, which workers never take) and the MAC
/// table's control methods (its own lock, likewise never taken on the frame path).
/// </remarks>
internal static partial class ControlVerbs
{
    /// <summary>Verbs that only read, allowed for every client that could connect.</summary>
    public static bool IsReadOnly(string verb) => verb is "port-list" or "fdb-show" or "stats" or "status" or "mirror-list";

    /// <summary>Every verb of the protocol.</summary>
    public static bool IsKnown(string verb) => IsReadOnly(verb) || verb is "port-add" or "port-del" or "fdb-add" or "fdb-del"
        or "fdb-flush" or "config-aging" or "config-max-macs" or "port-set" or "mirror-add" or "mirror-del";

    /// <summary>
    /// Runs <paramref name="request"/>. <paramref name="fd"/> is the descriptor that came with the request (or -1); a
    /// verb that takes it sets it to -1, and the caller closes it otherwise.
    /// </summary>
    public static ControlResponse Execute(Bridge bridge, ControlRequest request, ref int fd, ObjectPool<List<MacEntry>> entryLists)
    {
        var fds = new List<int>(1);
        if (fd >= 0)
        {
            fds.Add(fd);
        }

        ControlResponse response = Execute(bridge, request, fds, entryLists);
        fd = fds.Count > 0 ? fds[0] : -1;
        return response;
    }

    /// <summary>
    /// Runs <paramref name="request"/>. <paramref name="fds"/> are the descriptors that came with it, in the order they
    /// were sent; a verb that takes them removes them from the list, and the caller closes what is left.
    /// </summary>
    public static ControlResponse Execute(Bridge bridge, ControlRequest request, List<int> fds, ObjectPool<List<MacEntry>> entryLists)
    {
        try
        {
            return request.Verb switch
            {
                "status" => Status(bridge),
                "port-list" => new ControlResponse { Ok = true, Ports = PortList(bridge) },
                "port-add" => PortAdd(bridge, request, fds),
                "port-del" => PortDel(bridge, request),
                "fdb-show" => FdbShow(bridge, request, entryLists),
                "fdb-add" => FdbAdd(bridge, request),
                "fdb-del" => FdbDel(bridge, request),
                "fdb-flush" => FdbFlush(bridge, request),
                "stats" => Stats(bridge),
                "config-aging" => ConfigAging(bridge, request),
                "config-max-macs" => ConfigMaxMacs(bridge, request),
                "port-set" => PortSetVerb.Execute(bridge, request),
                "mirror-add" => MirrorVerbs.Add(bridge, request),
                "mirror-del" => MirrorVerbs.Del(bridge, request),
                "mirror-list" => MirrorVerbs.List(bridge),
                null => ControlResponse.Failure("missing \"verb\""),
                _ => ControlResponse.Failure($"unknown verb '{request.Verb}'"),
            };
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or TapException or Ports.Netdev.NetdevException or Ports.Vxlan.VxlanException or FormatException or ObjectDisposedException)
        {
            return ControlResponse.Failure(e.Message);
        }
    }

    private static bool TryFindPort(Bridge bridge, string name, out int id, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out ControlResponse? error)
    {
        Port? port = bridge.FindPort(name);
        id = port?.Id ?? -1;
        error = port is null ? ControlResponse.Failure($"no port named '{name}'") : null;
        return port is not null;
    }
}
