using System.Net;
using FastBridge.Frames;
using FastBridge.Ports;
using FastBridge.Ports.Vxlan;

namespace FastBridge.Control;

/// <summary>
/// What the control verbs do for VXLAN ports: open one from its one-line options (port-add), describe it (port-list),
/// add and remove static remote entries (fdb-add --remote, fdb-del), name the remote of each entry (fdb-show).
/// </summary>
internal static class VxlanVerbs
{
    public static VxlanPort Open(string name, string spec) => VxlanPort.Open(name, VxlanPortOptions.Parse(spec));

    /// <summary>fdb-add with a remote: the port must be a VXLAN port; returns the failure, or null when the entry was queued.</summary>
    public static ControlResponse? AddRemoteEntry(Bridge bridge, ControlRequest request, MacAddress mac, int vlan)
    {
        if (bridge.FindPort(request.Port!) is not VxlanPort port)
        {
            return ControlResponse.Failure($"--remote needs a VXLAN port; '{request.Port}' is not one");
        }

        if (!IPAddress.TryParse(request.Remote, out IPAddress? remote))
        {
            return ControlResponse.Failure($"remote '{request.Remote}' is not an IP address");
        }

        port.AddStaticEntry(mac, remote, vlan);
        return null;
    }

    /// <summary>fdb-del: the station's remote entry goes from every VXLAN port that carries its VLAN.</summary>
    public static void RemoveRemoteEntries(Bridge bridge, MacAddress mac, int vlan)
    {
        foreach (Port port in bridge.Ports)
        {
            if (port is VxlanPort vxlan && (vlan == 0 ? vxlan.Vni is not null : vxlan.VlanMap.ContainsKey(vlan)))
            {
                vxlan.RemoveEntry(mac, vlan);
            }
        }
    }

    /// <summary>The remote entries of every VXLAN port of <paramref name="bridge"/>, for one fdb-show.</summary>
    public static Remotes RemotesOf(Bridge bridge)
    {
        var byPort = new Dictionary<int, Dictionary<(ulong, int), string>>();
        foreach (Port port in bridge.Ports)
        {
            if (port is VxlanPort vxlan)
            {
                var entries = new Dictionary<(ulong, int), string>();
                foreach (VxlanFdbEntry entry in vxlan.Entries())
                {
                    entries[(entry.Mac.Value, entry.Vlan)] = entry.Remote.ToString();
                }

                byPort[port.Id] = entries;
            }
        }

        return new Remotes(byPort);
    }

    /// <summary>Remote entries by port id, then (MAC, VLAN).</summary>
    internal sealed class Remotes(Dictionary<int, Dictionary<(ulong, int), string>> byPort)
    {
        /// <summary>The remote of the station, or null (not a VXLAN port, or it floods the station's frames).</summary>
        public string? Find(int port, MacAddress mac, int vlan)
        {
            if (!byPort.TryGetValue(port, out Dictionary<(ulong, int), string>? entries))
            {
                return null;
            }

            // A tagged frame on a port without a VLAN map travels in the untagged VNI: its entry there has VLAN 0.
            return entries.GetValueOrDefault((mac.Value, vlan)) ?? entries.GetValueOrDefault((mac.Value, 0));
        }
    }
}
