using System.Net;
using FastBridge.Frames;

namespace FastBridge.Ports.Vxlan;

/// <summary>One entry of a VXLAN port's remote table: which VTEP a MAC (in a VNI, and its mapped VLAN) is behind.</summary>
/// <param name="Mac">The inner station's MAC address.</param>
/// <param name="Vni">The VNI the station is in.</param>
/// <param name="Vlan">The VLAN mapped to that VNI; 0 for the untagged VNI.</param>
/// <param name="Remote">The remote VTEP's underlay address.</param>
/// <param name="IsStatic">Added by the control plane (never aged, never moved by learning).</param>
/// <param name="AgeSeconds">Seconds since the station was last seen (0 for static entries).</param>
public sealed record VxlanFdbEntry(MacAddress Mac, int Vni, int Vlan, IPAddress Remote, bool IsStatic, int AgeSeconds);

/// <summary>A remote VTEP of a VXLAN port and what went to and came from it.</summary>
/// <param name="Address">The remote's underlay address.</param>
/// <param name="Flooded">True for a configured remote (it gets flooded frames), false for one only named by a static entry.</param>
/// <param name="DatagramsSent">Datagrams sent to it.</param>
/// <param name="DatagramsReceived">Datagrams accepted from it.</param>
public sealed record VxlanRemoteInfo(IPAddress Address, bool Flooded, long DatagramsSent, long DatagramsReceived);
