using System.Net;

namespace FastBridge.Ports.Vxlan;

/// <summary>How a <see cref="VxlanPort"/> tunnels: its VNIs, its own address, its remote VTEPs or group.</summary>
public sealed partial record VxlanPortOptions
{
    /// <summary>The standard VXLAN UDP port (IANA, RFC 7348).</summary>
    public const int DefaultDestinationPort = 4789;

    /// <summary>VNI of untagged frames (1 to 16777215); null: untagged frames are not carried (only mapped VLANs).</summary>
    public int? Vni { get; init; }

    /// <summary>This VTEP's underlay address (IPv4 or IPv6): the source of every datagram, bound for receiving.</summary>
    public IPAddress Local { get; init; } = IPAddress.None;

    /// <summary>Remote VTEPs: flooded frames go to each (head-end replication); only they are accepted.</summary>
    public IReadOnlyList<IPAddress> Remotes { get; init; } = [];

    /// <summary>UDP destination port of the tunnel (also the port bound locally).</summary>
    public int DestinationPort { get; init; } = DefaultDestinationPort;

    /// <summary>Multicast group flooded frames go to instead of the remotes; datagrams from any source are then accepted.</summary>
    public IPAddress? Group { get; init; }

    /// <summary>VLAN (1 to 4094) to VNI: a frame tagged with the VLAN travels untagged in its VNI and comes back tagged.</summary>
    public IReadOnlyDictionary<int, int> VlanMap { get; init; } = new Dictionary<int, int>();

    /// <summary>Underlay MTU; 0 (the default) reads the MTU of the interface that holds <see cref="Local"/>.</summary>
    public int UnderlayMtu { get; init; }

    /// <summary>
    /// Send through a raw IP socket so the outer UDP source port can follow a hash of the inner flow (needs
    /// CAP_NET_RAW; without it, or when false, every datagram leaves from <see cref="DestinationPort"/>).
    /// </summary>
    public bool HashSourcePort { get; init; } = true;
}
