using System.Buffers.Binary;
using FastBridge.Frames;

namespace FastBridge.Capture;

/// <summary>
/// Which frames a capture takes: on which ports, in which VLAN, to or from which station, of which EtherType. Every
/// condition left out matches everything; the ones given must all match.
/// </summary>
/// <remarks>
/// Semantics, as the frame is on the wire of the port it is seen on (received on, or sent by):
/// <list type="bullet">
/// <item>VLAN: the VID of the outer 802.1Q / 802.1ad tag; an untagged frame belongs to the VLAN the port gives
/// untagged frames (its access VLAN or its trunk's native VLAN, 0 for a VLAN-transparent port), so
/// <c>--vlan 10</c> shows VLAN 10's traffic on an access port too. The ports' untagged VLANs are taken when the
/// capture starts.</item>
/// <item>MAC: the source or the destination address.</item>
/// <item>EtherType: the outer type, or the type after up to two VLAN tags (so both <c>0x8100</c> and <c>0x0800</c>
/// match a tagged IPv4 frame).</item>
/// </list>
/// Thread-safety: immutable; read by every worker's tap at once. Performance: a few byte reads per frame, only while
/// a capture runs.
/// </remarks>
internal sealed class CaptureFilter
{
    private const int NoVlan = -1;

    private readonly bool[]? _ports;
    private readonly int[] _untaggedVlan;
    private readonly int _vlan;
    private readonly ulong _mac;
    private readonly bool _hasMac;
    private readonly int _etherType;

    /// <param name="maxPorts">Port ids run from 0 to this - 1.</param>
    /// <param name="ports">Only these port ids, or null for every port (also those added later).</param>
    /// <param name="vlan">Only this VLAN, or null.</param>
    /// <param name="mac">Only frames from or to this station, or null.</param>
    /// <param name="etherType">Only this EtherType, or null.</param>
    /// <param name="untaggedVlan">untaggedVlan[id]: the VLAN of untagged frames on that port; null when no port has one.</param>
    public CaptureFilter(int maxPorts, IEnumerable<int>? ports = null, int? vlan = null, MacAddress? mac = null, int? etherType = null, int[]? untaggedVlan = null)
    {
        if (ports is not null)
        {
            _ports = new bool[maxPorts];
            foreach (int id in ports)
            {
                _ports[id] = true;
            }
        }

        _untaggedVlan = untaggedVlan ?? new int[maxPorts];
        _vlan = vlan ?? NoVlan;
        _hasMac = mac.HasValue;
        _mac = (mac?.Value ?? 0) & MacAddress.Mask;
        _etherType = etherType ?? NoVlan;
    }

    /// <summary>Every frame of every port.</summary>
    public bool IsEverything => _ports is null && _vlan == NoVlan && !_hasMac && _etherType == NoVlan;

    /// <summary>Whether the port with this id is one the capture looks at.</summary>
    public bool Watches(int portId) => _ports is null || ((uint)portId < (uint)_ports.Length && _ports[portId]);

    public bool Matches(int portId, ReadOnlySpan<byte> frame)
    {
        if (!Watches(portId))
        {
            return false;
        }

        if (_vlan == NoVlan && !_hasMac && _etherType == NoVlan)
        {
            return true;
        }

        if (frame.Length < 14)
        {
            return false; // a runt has no addresses or type to match
        }

        if (_hasMac && ReadMac(frame) != _mac && ReadMac(frame[6..]) != _mac)
        {
            return false;
        }

        int outer = BinaryPrimitives.ReadUInt16BigEndian(frame[12..]);
        bool tagged = IsTag(outer) && frame.Length >= 18;
        if (_vlan != NoVlan)
        {
            int vid = tagged ? BinaryPrimitives.ReadUInt16BigEndian(frame[14..]) & 0xfff : UntaggedVlan(portId);
            if (vid != _vlan)
            {
                return false;
            }
        }

        return _etherType == NoVlan || outer == _etherType || InnerType(frame) == _etherType;
    }

    private int UntaggedVlan(int portId) => (uint)portId < (uint)_untaggedVlan.Length ? _untaggedVlan[portId] : 0;

    private static bool IsTag(int type) => type is 0x8100 or 0x88a8 or 0x9100;

    /// <summary>The type after up to two VLAN tags, or -1 when the frame ends first.</summary>
    private static int InnerType(ReadOnlySpan<byte> frame)
    {
        int at = 12;
        for (int tags = 0; tags <= 2; tags++)
        {
            if (frame.Length < at + 2)
            {
                return -1;
            }

            int type = BinaryPrimitives.ReadUInt16BigEndian(frame[at..]);
            if (!IsTag(type) || tags == 2)
            {
                return type;
            }

            at += 4;
        }

        return -1;
    }

    private static ulong ReadMac(ReadOnlySpan<byte> at) => MacAddress.FromBytes(at).Value;
}
