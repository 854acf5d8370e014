using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using FastBridge.Ports;

namespace FastBridge.Control;

/// <summary>
/// One request on the control socket: a JSON object on one line, e.g.
/// <c>{"verb":"fdb-add","mac":"02:00:00:00:00:01","port":"tap0","vlan":0}</c>. Member names are snake_case;
/// unknown members are an error. Which members a verb reads is listed in <see cref="ControlVerbs"/> and README.
/// </summary>
public sealed class ControlRequest
{
    /// <summary>What to do: port-list, port-add, port-del, port-set, fdb-show, fdb-add, fdb-del, fdb-flush, stats, status, config-aging, config-max-macs, capture, mirror-add, mirror-del, mirror-list.</summary>
    public string? Verb { get; set; }

    /// <summary>port-add, port-del, port-set: the port's name; mirror-del: the mirror's name.</summary>
    public string? Name { get; set; }

    /// <summary>
    /// port-add: adopt the descriptor sent with this request (SCM_RIGHTS) instead of opening a TAP by name; with
    /// <see cref="Queues"/> N above 1, the N queue descriptors of one multi-queue TAP, sent together in queue order.
    /// </summary>
    public bool? Fd { get; set; }

    /// <summary>
    /// port-add of a TAP by name: open it with this many queues (IFF_MULTI_QUEUE when more than 1); default 1. With
    /// <see cref="Fd"/>: how many queue descriptors came with the request.
    /// </summary>
    public int? Queues { get; set; }

    /// <summary>port-add: the port kind, "tap" (the default) or "netdev" (attach the existing interface NAME through AF_PACKET).</summary>
    public string? Kind { get; set; }

    /// <summary>port-add: a vhost-user port on this unix socket path instead of a TAP.</summary>
    public string? VhostUser { get; set; }

    /// <summary>port-add with <see cref="VhostUser"/>: connect to the frontend's socket (client role) instead of creating it.</summary>
    public bool? Client { get; set; }

    /// <summary>
    /// port-add with <see cref="VhostUser"/>: refuse a frontend whose guest memory cannot be sealed against shrinking
    /// (<see cref="Ports.VhostUser.VhostUserPortOptions.RequireSealedMemory"/>).
    /// </summary>
    public bool? RequireSealed { get; set; }

    /// <summary>port-add: listen on this unix socket path for QEMU's <c>-netdev stream</c> instead of opening a TAP.</summary>
    public string? Stream { get; set; }

    /// <summary>port-add: bind this unix datagram socket path for QEMU's <c>-netdev dgram</c> instead of opening a TAP.</summary>
    public string? Dgram { get; set; }

    /// <summary>port-add with <see cref="Dgram"/>: the peer's socket path (QEMU's local.path); default: the first sender.</summary>
    public string? DgramPeer { get; set; }

    /// <summary>port-add with <see cref="Stream"/> or <see cref="Dgram"/>: the group that may connect or send (socket mode 0660); default 0600.</summary>
    public string? Group { get; set; }

    /// <summary>fdb-add: the port of the entry; fdb-show, fdb-flush: only this port.</summary>
    public string? Port { get; set; }

    /// <summary>fdb-add, fdb-del: the station address (aa:bb:cc:dd:ee:ff).</summary>
    public string? Mac { get; set; }

    /// <summary>fdb-add, fdb-del (default 0), fdb-show (filter): the VLAN id, 0 to 4095.</summary>
    public int? Vlan { get; set; }

    /// <summary>config-aging: seconds (0 = never); config-max-macs: the capacity.</summary>
    public long? Value { get; set; }

    /// <summary>port-set: the members of the port's policy to change (VLANs, flags).</summary>
    public PortPolicyInfo? Policy { get; set; }

    /// <summary>capture: which frames to copy; the connection then carries the frame stream (docs/protocol.md).</summary>
    public CaptureSpec? Capture { get; set; }

    /// <summary>mirror-add: the mirror (name, from, to, direction, vlan).</summary>
    public MirrorInfo? Mirror { get; set; }

    /// <summary>port-add: a VXLAN port with these options (<c>vni=42,local=ADDR,remote=ADDR,...</c>, <see cref="Ports.Vxlan.VxlanPortOptions.Parse"/>).</summary>
    public string? Vxlan { get; set; }

    /// <summary>fdb-add on a VXLAN port: the remote VTEP the station is behind.</summary>
    public string? Remote { get; set; }
}

/// <summary>
/// One response line. <see cref="Ok"/> is always there; on failure <see cref="Error"/> says why in one line; on
/// success the members of the verb are set and the others left out.
/// </summary>
public sealed class ControlResponse
{
    public bool Ok { get; set; }

    public string? Error { get; set; }

    /// <summary>status: the bridge's name.</summary>
    public string? Name { get; set; }

    /// <summary>status: dataplane threads.</summary>
    public int? Workers { get; set; }

    /// <summary>port-list, status: the ports; stats: their counters.</summary>
    public List<PortInfo>? Ports { get; set; }

    /// <summary>port-add: the port that was added.</summary>
    public PortInfo? Port { get; set; }

    /// <summary>fdb-show: the entries, ordered by port, VLAN, MAC.</summary>
    public List<FdbEntry>? Entries { get; set; }

    /// <summary>fdb-flush, port-del: entries removed.</summary>
    public int? Removed { get; set; }

    /// <summary>stats, status, config-*: the MAC table's settings and totals.</summary>
    public TableInfo? Table { get; set; }

    /// <summary>capture: what was set up; the frame stream follows this line.</summary>
    public CaptureInfo? Capture { get; set; }

    /// <summary>mirror-list: every mirror; mirror-add: the mirror added.</summary>
    public List<MirrorInfo>? Mirrors { get; set; }

    public static ControlResponse Failure(string error) => new() { Ok = false, Error = error };
}

/// <summary>
/// A port in port-list, port-add and stats responses (the counters only in stats); what its kind says of itself comes
/// from <see cref="PortDescription"/>.
/// </summary>
public sealed class PortInfo : PortDescription
{
    public string Name { get; set; } = "";

    public int Id { get; set; }

    /// <summary>tap, netdev, vhost-user, memory, or what another kind calls itself (<see cref="Port.Kind"/>).</summary>
    public string Kind { get; set; } = "";

    /// <summary>up, down or gone.</summary>
    public string State { get; set; } = "";

    /// <summary>Why the port is not up, when it is not.</summary>
    public string? Reason { get; set; }

    /// <summary>port-list, port-add, port-set, status: the port's VLANs and flags.</summary>
    [JsonPropertyOrder(1)] // after the members of PortDescription, as before they moved there
    public PortPolicyInfo? Policy { get; set; }

    /// <summary>
    /// stats: every port counter of <see cref="Diagnostics.CounterSchema"/> under its JSON name (<c>rx_frames</c>,
    /// <c>rx_bytes</c>, <c>tx_frames</c>, <c>tx_bytes</c>, <c>forwarded</c>, <c>flooded</c>, <c>tx_offered</c>, ...),
    /// written as members of the port object itself.
    /// </summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Counters { get; set; }

    /// <summary>Drops by reason (every reason, zero or not): runt, truncated-tag, ..., tx-error.</summary>
    [JsonPropertyOrder(1)]
    public SortedDictionary<string, long>? Drops { get; set; }
}

/// <summary>One MAC table entry in an fdb-show response.</summary>
public sealed class FdbEntry
{
    public string Mac { get; set; } = "";

    public int Vlan { get; set; }

    /// <summary>The port's name (its id as text if it has none any more).</summary>
    public string Port { get; set; } = "";

    /// <summary>static or dynamic.</summary>
    public string Type { get; set; } = "";

    /// <summary>Seconds since last learned, refreshed or configured.</summary>
    public int Age { get; set; }

    /// <summary>Entries behind a VXLAN port: the remote VTEP the port sends the station's frames to (null when it floods them).</summary>
    public string? Remote { get; set; }
}

/// <summary>The MAC table in stats, status and config responses.</summary>
public sealed class TableInfo
{
    /// <summary>Live entries.</summary>
    public int Size { get; set; }

    /// <summary>max-macs.</summary>
    public int Capacity { get; set; }

    public int AgingSeconds { get; set; }

    /// <summary>
    /// stats: every bridge-level counter of <see cref="Diagnostics.CounterSchema"/> under its JSON name (<c>learned</c>,
    /// <c>moved</c>, <c>aged</c>, <c>flooded</c>, <c>table_full</c>, <c>evicted</c>, <c>port_limit</c>, <c>flaps</c>),
    /// written as members of the table object itself.
    /// </summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Counters { get; set; }
}

/// <summary>Source-generated JSON for the control protocol (no reflection at run time).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(ControlRequest))]
[JsonSerializable(typeof(ControlResponse))]
[JsonSerializable(typeof(long))]
public sealed partial class ControlJson : JsonSerializerContext
{
    /// <summary>
    /// How response lines are written: only what JSON requires is escaped (quotes, backslashes, control characters),
    /// so a message reads <c>port 'tap0'</c> on the wire, not <c>port \u0027tap0\u0027</c>. The default encoder also
    /// escapes HTML-sensitive characters, which matters for a page, not for a local socket.
    /// </summary>
    public static JsonWriterOptions WriterOptions { get; } = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
