using System.Globalization;
using System.Text.Json;
using FastBridge.Diagnostics;
using FastBridge.Frames;
using FastBridge.Ports;
using FastBridge.Ports.VhostUser;
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
        try
        {
            return request.Verb switch
            {
                "status" => Status(bridge),
                "port-list" => new ControlResponse { Ok = true, Ports = PortList(bridge) },
                "port-add" => PortAdd(bridge, request, ref fd),
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

    private static ControlResponse PortAdd(Bridge bridge, ControlRequest request, ref int fd)
    {
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
            if (fd < 0)
            {
                return ControlResponse.Failure("\"fd\": true but no descriptor came with the request (send it as SCM_RIGHTS)");
            }

            TapPort adopted = TapPort.Adopt(fd, request.Name, ownsFd: true);
            fd = -1; // the port owns it now, whatever happens next
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
            return Add(bridge, VhostUserPortSpec.Open(request.Name, socketPath, request.Client == true, group: null));
        }

        return Add(bridge, TapPort.Open(request.Name));
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

    private static ControlResponse FdbShow(Bridge bridge, ControlRequest request, ObjectPool<List<MacEntry>> entryLists)
    {
        int portFilter = -1;
        if (request.Port is not null && !TryFindPort(bridge, request.Port, out portFilter, out ControlResponse? error))
        {
            return error;
        }

        int vlanFilter = -1;
        if (request.Vlan is not null && !TryVlan(request, out vlanFilter, out error))
        {
            return error;
        }

        Dictionary<int, string> names = PortNames(bridge);
        VxlanVerbs.Remotes remotes = VxlanVerbs.RemotesOf(bridge);
        List<MacEntry> snapshot = entryLists.Get();
        try
        {
            bridge.MacTable.CopyTo(snapshot);
            snapshot.Sort(static (a, b) =>
                a.Port != b.Port ? a.Port.CompareTo(b.Port) : a.Vlan != b.Vlan ? a.Vlan.CompareTo(b.Vlan) : a.Mac.Value.CompareTo(b.Mac.Value));
            var entries = new List<FdbEntry>(snapshot.Count);
            foreach (MacEntry entry in snapshot)
            {
                if ((portFilter >= 0 && entry.Port != portFilter) || (vlanFilter >= 0 && entry.Vlan != vlanFilter))
                {
                    continue;
                }

                entries.Add(new FdbEntry
                {
                    Mac = entry.Mac.ToString(),
                    Vlan = entry.Vlan,
                    Port = names.GetValueOrDefault(entry.Port) ?? entry.Port.ToString(CultureInfo.InvariantCulture),
                    Type = entry.IsStatic ? "static" : "dynamic",
                    Age = entry.AgeSeconds,
                    Remote = remotes.Find(entry.Port, entry.Mac, entry.Vlan),
                });
            }

            return new ControlResponse { Ok = true, Entries = entries };
        }
        finally
        {
            entryLists.Return(snapshot);
        }
    }

    private static ControlResponse FdbAdd(Bridge bridge, ControlRequest request)
    {
        if (!TryMac(request, out MacAddress mac, out ControlResponse? error)
            || !TryVlan(request, out int vlan, out error))
        {
            return error;
        }

        if (request.Port is null)
        {
            return ControlResponse.Failure("fdb-add needs \"port\"");
        }

        if (!TryFindPort(bridge, request.Port, out int port, out error))
        {
            return error;
        }

        if (request.Remote is not null && VxlanVerbs.AddRemoteEntry(bridge, request, mac, vlan) is { } refused)
        {
            return refused;
        }

        return bridge.MacTable.AddStatic(mac, (ushort)vlan, port)
            ? new ControlResponse { Ok = true }
            : ControlResponse.Failure($"the MAC table is full ({bridge.MacTable.Capacity} entries)");
    }

    private static ControlResponse FdbDel(Bridge bridge, ControlRequest request)
    {
        if (!TryMac(request, out MacAddress mac, out ControlResponse? error) || !TryVlan(request, out int vlan, out error))
        {
            return error;
        }

        VxlanVerbs.RemoveRemoteEntries(bridge, mac, vlan);
        return bridge.MacTable.Remove(mac, (ushort)vlan)
            ? new ControlResponse { Ok = true }
            : ControlResponse.Failure($"no entry for {mac} in VLAN {vlan}");
    }

    private static ControlResponse FdbFlush(Bridge bridge, ControlRequest request)
    {
        int port = -1;
        if (request.Port is not null && !TryFindPort(bridge, request.Port, out port, out ControlResponse? error))
        {
            return error;
        }

        return new ControlResponse { Ok = true, Removed = bridge.MacTable.Flush(port) };
    }

    /// <summary>Every counter of the schema: port counters and drop reasons on each port, bridge-level ones on the table.</summary>
    private static ControlResponse Stats(Bridge bridge)
    {
        BridgeCounters counters = bridge.ReadCounters();
        var ports = new List<PortInfo>(counters.Ports.Count);
        foreach (PortCounters c in counters.Ports)
        {
            var drops = new SortedDictionary<string, long>(StringComparer.Ordinal);
            foreach (CounterDefinition reason in CounterSchema.Drops)
            {
                drops[reason.JsonName] = c[reason];
            }

            var info = new PortInfo
            {
                Name = c.Name,
                Id = c.Id,
                Kind = c.Kind,
                State = c.State.Name(),
                Reason = c.State == PortState.Up ? null : c.StateReason,
                Counters = CounterMembers(c, CounterScope.Port),
                Drops = drops,
            };
            bridge.FindPort(c.Name)?.Describe(info);
            ports.Add(info);
        }

        TableInfo table = Table(bridge.MacTable);
        table.Counters = CounterMembers(counters, CounterScope.Bridge);
        return new ControlResponse { Ok = true, Ports = ports, Table = table };
    }

    /// <summary>The counters shown at <paramref name="level"/> as JSON members, by their JSON names.</summary>
    private static Dictionary<string, JsonElement> CounterMembers(CounterValues values, CounterScope level)
    {
        var members = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (CounterDefinition counter in CounterSchema.Counters)
        {
            if (level == CounterScope.Port ? counter.Scope == CounterScope.Port : counter.AtBridgeLevel)
            {
                members[counter.JsonName] = JsonSerializer.SerializeToElement(values[counter], ControlJson.Default.Int64);
            }
        }

        return members;
    }

    private static ControlResponse ConfigAging(Bridge bridge, ControlRequest request)
    {
        if (request.Value is not { } seconds || seconds < 0 || seconds > int.MaxValue)
        {
            return ControlResponse.Failure($"config-aging needs \"value\": seconds, 0 (never) to {int.MaxValue}");
        }

        bridge.MacTable.AgingSeconds = (int)seconds;
        return new ControlResponse { Ok = true, Table = Table(bridge.MacTable) };
    }

    private static ControlResponse ConfigMaxMacs(Bridge bridge, ControlRequest request)
    {
        if (request.Value is not { } capacity || capacity < 1 || capacity > MacTable.MaxCapacity)
        {
            return ControlResponse.Failure($"config-max-macs needs \"value\": 1 to {MacTable.MaxCapacity}");
        }

        bridge.MacTable.Resize((int)capacity);
        return new ControlResponse { Ok = true, Table = Table(bridge.MacTable) };
    }

    private static TableInfo Table(MacTable table) => new()
    {
        Size = table.Count,
        Capacity = table.Capacity,
        AgingSeconds = table.AgingSeconds,
    };

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

    private static Dictionary<int, string> PortNames(Bridge bridge)
    {
        var names = new Dictionary<int, string>();
        foreach (Port port in bridge.Ports)
        {
            names[port.Id] = port.Name;
        }

        return names;
    }

    private static bool TryFindPort(Bridge bridge, string name, out int id, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out ControlResponse? error)
    {
        Port? port = bridge.FindPort(name);
        id = port?.Id ?? -1;
        error = port is null ? ControlResponse.Failure($"no port named '{name}'") : null;
        return port is not null;
    }

    private static bool TryMac(ControlRequest request, out MacAddress mac, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out ControlResponse? error)
    {
        mac = default;
        if (request.Mac is null)
        {
            error = ControlResponse.Failure($"{request.Verb} needs \"mac\"");
            return false;
        }

        if (!MacAddress.TryParse(request.Mac, out mac))
        {
            error = ControlResponse.Failure($"'{request.Mac}' is not a MAC address (aa:bb:cc:dd:ee:ff)");
            return false;
        }

        if (mac.IsMulticast || mac.IsZero)
        {
            error = ControlResponse.Failure($"{mac} is a {(mac.IsZero ? "zero" : "multicast")} address: a station address is unicast");
            return false;
        }

        error = null;
        return true;
    }

    private static bool TryVlan(ControlRequest request, out int vlan, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out ControlResponse? error)
    {
        vlan = request.Vlan ?? 0;
        if ((uint)vlan > MacTable.MaxVlan)
        {
            error = ControlResponse.Failure($"VLAN {vlan} is out of range (0 to {MacTable.MaxVlan})");
            return false;
        }

        error = null;
        return true;
    }
}
