using System.Collections.Concurrent;
using System.Net;
using System.Runtime.InteropServices;
using FastBridge.Buffers;
using FastBridge.Diagnostics;
using FastBridge.Frames;
using FastBridge.Interop;

namespace FastBridge.Ports.Vxlan;

/// <summary>
/// A VXLAN tunnel endpoint (RFC 7348) as a switch port: frames switched to it travel in UDP to remote VTEPs (the Linux
/// kernel's vxlan, Open vSwitch, another FastBridge), frames from them come out of it. Open one with <see cref="Open"/>.
/// </summary>
/// <remarks>
/// <para>
/// Design: one UDP socket bound to the local address and the tunnel port receives (recvmmsg, a burst per call, straight
/// into pool buffers held across calls: the VXLAN header lands in a scratch slot, the inner frame in the buffer). A raw
/// IP socket (protocol UDP, its receive side shut by a drop-all filter) sends, one sendmmsg per burst, so that the UDP
/// header is the port's own and its source port a hash of the inner flow (underlay ECMP); without CAP_NET_RAW the UDP
/// socket sends and the source port is fixed. Each message is gathered from the frame's own buffer (no copy); a
/// frame flooded to several remotes is several messages pointing at the same bytes.
/// </para>
/// <para>
/// Remotes: the bridge's MAC table says a station is behind this port; the port's own table
/// (<see cref="VxlanRemoteTable"/>, like the kernel's vxlan fdb) says behind which VTEP, learned from the outer source
/// of decapsulated frames and aged with the bridge's aging time. Unknown unicast, broadcast and multicast go to every
/// configured remote (head-end replication) or to the group. Only datagrams from a known remote (or, with a group,
/// from anyone; those are not learned) are taken. Segments: the untagged VNI and a VLAN-to-VNI map; a mapped VLAN's
/// frames leave untagged in their VNI and come back tagged. MTU: an inner frame longer than the underlay MTU minus 36
/// (56 over IPv6), i.e. an inner payload over MTU-50 (MTU-70), is dropped as <see cref="DropReason.VxlanOverMtu"/>;
/// the engine cuts offload super-frames into segments first (<see cref="Port.AcceptsOffloads"/> is false).
/// </para>
/// <para>
/// Thread-safety: Receive and Transmit on the owning worker only (no <see cref="Port.ConcurrentTransmit"/>), so the
/// remote table and the preallocated message arrays have a single writer; the control plane's edits are queued to it
/// (<see cref="AddStaticEntry"/>), its reads go through the table's per-slot versions. Performance: no allocation,
/// lock, exception or log per frame; one recvmmsg per receive, one sendmmsg per 128 datagrams.
/// </para>
/// </remarks>
public sealed unsafe partial class VxlanPort : Port
{
    private const string ReasonDisposed = "port disposed";

    private readonly FileDescriptor _receiveSocket;
    private readonly FileDescriptor? _rawSocket;
    private readonly int _rxFd;
    private readonly int _txFd;
    private readonly VxlanRemoteTable _table = new();
    private readonly ConcurrentQueue<Edit> _edits = new();
    private readonly int _groupRemote = -1;
    private readonly int[] _segmentVni;
    private readonly int[] _segmentVlan;
    private readonly short[] _vlanSegment = new short[4096];
    private readonly Dictionary<int, int> _vniSegment = [];
    private readonly int _defaultSegment = -1;
    private readonly bool _hasMap;
    private int _disposed;

    private VxlanPort(string name, VxlanPortOptions options, FileDescriptor receiveSocket, FileDescriptor? rawSocket, int underlayMtu)
        : base(name)
    {
        _receiveSocket = receiveSocket;
        _rawSocket = rawSocket;
        _rxFd = receiveSocket.Value;
        _txFd = rawSocket?.Value ?? _rxFd;
        Local = options.Local;
        DestinationPort = options.DestinationPort;
        Group = options.Group;
        UnderlayMtu = underlayMtu;
        int overhead = options.Local.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? 56 : 36;
        MaxInnerFrame = underlayMtu - overhead;
        HashesSourcePort = rawSocket is not null;
        int remotePort = rawSocket is null ? options.DestinationPort : 0; // a raw socket's destination names no port
        foreach (IPAddress remote in options.Remotes)
        {
            _table.AddRemote(remote, remotePort, flood: true);
        }

        if (options.Group is not null)
        {
            _groupRemote = _table.AddRemote(options.Group, remotePort, flood: false);
        }

        Array.Fill(_vlanSegment, (short)-1);
        var vnis = new List<int>();
        var vlans = new List<int>();
        if (options.Vni is int vni)
        {
            _defaultSegment = 0;
            vnis.Add(vni);
            vlans.Add(0);
        }

        foreach (KeyValuePair<int, int> map in options.VlanMap.OrderBy(m => m.Key))
        {
            _vlanSegment[map.Key] = (short)vnis.Count;
            vnis.Add(map.Value);
            vlans.Add(map.Key);
        }

        _hasMap = options.VlanMap.Count > 0;
        _segmentVni = [.. vnis];
        _segmentVlan = [.. vlans];
        for (int s = 0; s < _segmentVni.Length; s++)
        {
            _vniSegment[_segmentVni[s]] = s;
        }

        Remotes = [.. options.Remotes];
        VlanMap = new Dictionary<int, int>(options.VlanMap);
        Vni = options.Vni;
        AllocateReceive();
        AllocateTransmit();
    }

    /// <summary>VNI of untagged frames; null when only mapped VLANs are carried.</summary>
    public int? Vni { get; }

    /// <summary>This VTEP's underlay address.</summary>
    public IPAddress Local { get; }

    /// <summary>The configured remote VTEPs (flooded to).</summary>
    public IReadOnlyList<IPAddress> Remotes { get; }

    /// <summary>The tunnel's UDP port.</summary>
    public int DestinationPort { get; }

    /// <summary>The multicast group flooded frames go to, or null.</summary>
    public IPAddress? Group { get; }

    /// <summary>VLAN to VNI map.</summary>
    public IReadOnlyDictionary<int, int> VlanMap { get; }

    /// <summary>The underlay MTU the port sizes frames against.</summary>
    public int UnderlayMtu { get; }

    /// <summary>Longest inner frame (Ethernet header included, VLAN tag of a mapped VLAN excluded) sent.</summary>
    public int MaxInnerFrame { get; }

    /// <summary>True when the outer UDP source port follows a hash of the inner flow (raw socket); false: fixed.</summary>
    public bool HashesSourcePort { get; }

    public override string Kind => "vxlan";

    /// <summary>port-list's device column: the tunnel in its one-line form (<see cref="VxlanPortOptions.ToSpec"/>), with the MTU found.</summary>
    protected internal override void Describe(PortDescription description) => description.Device = new VxlanPortOptions
    {
        Vni = Vni,
        Local = Local,
        Remotes = Remotes,
        DestinationPort = DestinationPort,
        Group = Group,
        VlanMap = VlanMap,
        UnderlayMtu = UnderlayMtu,
        HashSourcePort = HashesSourcePort,
    }.ToSpec();

    protected internal override int PollFd => Volatile.Read(ref _disposed) == 0 ? _rxFd : -1;

    /// <summary>
    /// Adds a static entry: <paramref name="mac"/> (in <paramref name="vlan"/>'s VNI; 0: the untagged VNI) is behind
    /// <paramref name="remote"/>, which need not be a configured remote (it then gets no flooded frames, as in the kernel).
    /// The owning worker applies it on its next pass.
    /// </summary>
    /// <exception cref="ArgumentException">The VLAN has no VNI here, or the remote is of the other address family.</exception>
    public void AddStaticEntry(MacAddress mac, IPAddress remote, int vlan = 0)
    {
        ArgumentNullException.ThrowIfNull(remote);
        int segment = SegmentOfVlan(vlan);
        if (remote.AddressFamily != Local.AddressFamily)
        {
            throw new ArgumentException($"remote {remote} is not of the local address's family ({Local})", nameof(remote));
        }

        if (mac.IsMulticast || mac.IsZero)
        {
            throw new ArgumentException($"{mac} is not a unicast station address", nameof(mac));
        }

        _edits.Enqueue(new Edit(mac.Value, segment, remote));
        RequestPoll();
    }

    /// <summary>Removes the entry of <paramref name="mac"/> in <paramref name="vlan"/>'s VNI (applied on the owner's next pass).</summary>
    public void RemoveEntry(MacAddress mac, int vlan = 0)
    {
        _edits.Enqueue(new Edit(mac.Value, SegmentOfVlan(vlan), null));
        RequestPoll();
    }

    /// <summary>The remote table's live entries (a consistent view of each entry, not of the whole table).</summary>
    public IReadOnlyList<VxlanFdbEntry> Entries()
    {
        var list = new List<VxlanFdbEntry>();
        uint now = Stations?.NowSeconds ?? 0;
        _table.ForEach(now, Aging, (mac, segment, remote, isStatic, age) => list.Add(new VxlanFdbEntry(
            new MacAddress(mac), _segmentVni[segment], _segmentVlan[segment], _table.RemoteAddress(remote), isStatic, isStatic ? 0 : (int)age)));
        return list;
    }

    /// <summary>Every remote the port knows (configured, the group, named by static entries) with its datagram counts.</summary>
    public IReadOnlyList<VxlanRemoteInfo> RemoteInfo()
    {
        var list = new List<VxlanRemoteInfo>();
        for (int r = 0; r < _table.RemoteCount; r++)
        {
            bool flooded = false;
            for (int f = 0; f < _table.FloodCount; f++)
            {
                flooded |= _table.FloodRemote(f) == r;
            }

            list.Add(new VxlanRemoteInfo(_table.RemoteAddress(r), flooded || r == _groupRemote,
                Volatile.Read(ref _table.SentTo[r]), Volatile.Read(ref _table.ReceivedFrom[r])));
        }

        return list;
    }

    private int SegmentOfVlan(int vlan)
    {
        int segment = vlan == 0 ? _defaultSegment : vlan is > 0 and < 4096 ? _vlanSegment[vlan] : -1;
        if (segment < 0)
        {
            throw new ArgumentException(vlan == 0 ? $"port {Name} carries no untagged VNI" : $"VLAN {vlan} has no VNI on port {Name}", nameof(vlan));
        }

        return segment;
    }

    /// <summary>Seconds a learned remote entry lives: the bridge's aging time (300 before the port joins one).</summary>
    private int Aging => Stations?.AgingSeconds ?? Switching.MacTable.DefaultAgingSeconds;

    private uint Now => Stations?.NowSeconds ?? 0;

    /// <summary>Applies the control plane's queued edits (owner thread; nothing to do in the common case).</summary>
    private void ApplyEdits()
    {
        while (_edits.TryDequeue(out Edit? edit))
        {
            if (edit.Remote is null)
            {
                _table.Remove(edit.Mac, edit.Segment);
                continue;
            }

            int remote = _table.FindRemote(edit.Remote);
            if (remote < 0)
            {
                remote = _table.AddRemote(edit.Remote, HashesSourcePort ? 0 : DestinationPort, flood: false);
            }

            if (remote >= 0)
            {
                _table.Learn(edit.Mac, edit.Segment, remote, Now, isStatic: true);
            }
        }
    }

    protected internal override void AddOwnCounters(CounterValues snapshot)
    {
        base.AddOwnCounters(snapshot);
        snapshot.Add(Counter.VxlanDatagramsSent, Volatile.Read(ref _datagramsSent));
        snapshot.Add(Counter.VxlanRemoteLearned, Volatile.Read(ref _remoteLearned));
    }

    protected override void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        SetState(PortState.Gone, ReasonDisposed);
        _receiveSocket.Dispose();
        _rawSocket?.Dispose();
        ReleaseReceiveBuffers();
        NativeMemory.Free(_rxMemory);
        NativeMemory.Free(_txMemory);
        _table.Dispose();
        base.Dispose(disposing);
    }

    private sealed record Edit(ulong Mac, int Segment, IPAddress? Remote);
}
