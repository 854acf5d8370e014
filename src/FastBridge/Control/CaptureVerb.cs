using System.Numerics;
using FastBridge.Capture;
using FastBridge.Frames;

namespace FastBridge.Control;

/// <summary>
/// The <c>capture</c> verb's checks: turns a <see cref="CaptureSpec"/> into a <see cref="CaptureSession"/> for this
/// bridge, or says in one line what is wrong with it. The stream itself is <see cref="CaptureStream"/>.
/// </summary>
internal static class CaptureVerb
{
    public const int MaxSnaplen = 262144;
    public const int DefaultRingKib = 4096;
    public const int MinRingKib = 4;
    public const int MaxRingKib = 65536;

    public static bool TryStart(Bridge bridge, CaptureSpec? spec, out CaptureSession? session, out ControlResponse response)
    {
        session = null;
        spec ??= new CaptureSpec();
        string? error = Check(bridge, spec, out List<int>? ports, out MacAddress? mac);
        if (error is not null)
        {
            response = ControlResponse.Failure(error);
            return false;
        }

        int ringKib = (int)BitOperations.RoundUpToPowerOf2((uint)(spec.RingKib ?? DefaultRingKib));
        int snaplen = spec.Snaplen ?? MaxSnaplen;
        var filter = new CaptureFilter(bridge.MaxPorts, ports, spec.Vlan, mac, spec.Ethertype, UntaggedVlans(bridge));
        session = new CaptureSession(filter, bridge.WorkerCount, ringKib * 1024, snaplen, spec.Count ?? 0, bridge.MaxPorts);
        response = new ControlResponse
        {
            Ok = true,
            Capture = new CaptureInfo { Snaplen = snaplen, RingKib = ringKib, Workers = bridge.WorkerCount },
        };
        return true;
    }

    private static string? Check(Bridge bridge, CaptureSpec spec, out List<int>? ports, out MacAddress? mac)
    {
        ports = null;
        mac = null;
        if (spec.Ports is { } names)
        {
            ports = [];
            foreach (string name in names)
            {
                if (bridge.FindPort(name) is not { } port)
                {
                    return $"no port named '{name}'";
                }

                ports.Add(port.Id);
            }
        }

        if (spec.Mac is { } text)
        {
            if (!MacAddress.TryParse(text, out MacAddress parsed))
            {
                return $"'{text}' is not a MAC address (expected aa:bb:cc:dd:ee:ff)";
            }

            mac = parsed;
        }

        return spec switch
        {
            { Vlan: < 0 or > 4095 } => $"vlan {spec.Vlan} is not between 0 and 4095",
            { Ethertype: < 0 or > 0xffff } => $"ethertype {spec.Ethertype} is not between 0 and 65535 (0xffff)",
            { Snaplen: < 1 or > MaxSnaplen } => $"snaplen {spec.Snaplen} is not between 1 and {MaxSnaplen}",
            { Count: < 0 } => $"count {spec.Count} is negative",
            { RingKib: < MinRingKib or > MaxRingKib } => $"ring_kib {spec.RingKib} is not between {MinRingKib} and {MaxRingKib}",
            _ => null,
        };
    }

    /// <summary>Each port's VLAN for untagged frames (its access or native VLAN), as the filter's VLAN match needs.</summary>
    private static int[] UntaggedVlans(Bridge bridge)
    {
        int[] untagged = new int[bridge.MaxPorts];
        foreach (Ports.Port port in bridge.Ports)
        {
            if ((uint)port.Id < (uint)untagged.Length && bridge.GetPortPolicy(port.Name) is { } policy)
            {
                untagged[port.Id] = policy.Vlan.Vid;
            }
        }

        return untagged;
    }
}
