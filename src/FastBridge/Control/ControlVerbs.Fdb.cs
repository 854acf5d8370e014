using System.Globalization;
using FastBridge.Frames;
using FastBridge.Ports;
using FastBridge.Switching;
using Microsoft.Extensions.ObjectPool;

namespace FastBridge.Control;

/// <summary>The MAC table verbs: <c>fdb-show</c>, <c>fdb-add</c>, <c>fdb-del</c>, <c>fdb-flush</c>.</summary>
internal static partial class ControlVerbs
{
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

    private static Dictionary<int, string> PortNames(Bridge bridge)
    {
        var names = new Dictionary<int, string>();
        foreach (Port port in bridge.Ports)
        {
            names[port.Id] = port.Name;
        }

        return names;
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
