namespace FastBridge.Diagnostics;

/// <summary>
/// Why a frame (or one copy of a flooded frame) was not delivered. Every received frame ends either delivered or
/// under exactly one ingress reason; every copy handed to an output port ends transmitted or under one egress reason.
/// Each reason is defined once by its <see cref="DropAttribute"/> and is a counter of <see cref="CounterSchema"/>.
/// </summary>
public enum DropReason : byte
{
    /// <summary>Not dropped.</summary>
    None = 0,

    // ---- ingress: the frame as a whole ----

    [Drop("runt", DropDirection.Ingress, "Shorter than an Ethernet header (14 bytes)")]
    Runt,

    [Drop("truncated-tag", DropDirection.Ingress, "An 802.1Q/802.1ad TPID with no room for the tag and the EtherType after it")]
    TruncatedTag,

    [Drop("invalid-source", DropDirection.Ingress, "Source MAC is multicast, broadcast or all-zero (the Linux bridge drops these too)")]
    InvalidSource,

    [Drop("oversize", DropDirection.Ingress, "Longer than the largest frame the pool takes (64 KiB)")]
    Oversize,

    [Drop("no-buffer", DropDirection.Ingress, "The pool had no buffer large enough (jumbo frames beyond the large buffers in flight)")]
    NoBuffer,

    [Drop("same-port", DropDirection.Ingress, "Known unicast whose destination sits on the ingress port: filtered, as a hub-facing bridge does")]
    SamePort,

    [Drop("no-output", DropDirection.Ingress, "To flood, but no other port of the frame's VLAN is up")]
    NoOutput,

    [Drop("storm-limit", DropDirection.Ingress, "A flood (broadcast, multicast or unknown unicast) over the ingress port's storm-control limit")]
    StormLimit,

    // Unknown flags or GSO type, a checksum position or hdr_len outside the frame, a super-frame whose headers do not match
    // its type, a gso_size of 0 or GSO_BY_FRAGS, a UDP super-frame of more than 128 datagrams.
    [Drop("bad-offload", DropDirection.Ingress, "The virtio-net header in front of a frame read from a TAP, a netdev or a vhost-user port made no sense for the frame")]
    BadOffload,

    // Netdev ports (AF_PACKET): a frame over the interface's MTU plus Ethernet and VLAN headers, or cut short by the ring.
    [Drop("over-mtu", DropDirection.Ingress, "Longer than the netdev interface's MTU plus an Ethernet header and two VLAN tags (or cut short by its ring): dropped, never passed on truncated")]
    OverMtu,

    // Netdev ports: a TPACKET_V3 frame header whose offsets or lengths point outside its block (the rest of the block is skipped).
    [Drop("bad-ring-frame", DropDirection.Ingress, "A netdev port's receive-ring frame header pointed outside its block")]
    BadRingFrame,

    // ---- egress: one copy towards one output port ----

    [Drop("ring-full", DropDirection.Egress, "The output port's ring was full: the port is slower than its offered load")]
    RingFull,

    [Drop("port-down", DropDirection.Egress, "The output port is down or gone")]
    PortDown,

    [Drop("tx-error", DropDirection.Egress, "The output port's device refused the frame for another reason")]
    TxError,

    // The segments of a super-frame, or a copy of a flooded frame whose checksum was pending.
    [Drop("no-tx-buffer", DropDirection.Egress, "The output port takes no offloads and the pool had no buffer to finish the frame into")]
    NoTxBuffer,

    // ---- vhost-user ports (appended: the numbers of the reasons above stay as published) ----

    // A vhost-user guest's transmit chain: a loop, an address outside its memory, a bad index or indirect table.
    [Drop("bad-descriptor", DropDirection.Ingress, "A guest's (vhost-user) transmit descriptor chain was malformed: outside its memory, a loop, a bad index")]
    BadDescriptor,

    [Drop("no-guest-buffer", DropDirection.Egress, "The guest (vhost-user) had posted no receive buffer: its receive ring was empty")]
    NoGuestBuffer,

    [Drop("ring-not-ready", DropDirection.Egress, "The vhost-user port has no frontend connected, or its rings are not started")]
    RingNotReady,

    [Drop("bad-guest-buffer", DropDirection.Egress, "The guest's (vhost-user) receive buffer was malformed or too small for the frame")]
    BadGuestBuffer,

    // ---- VLANs and port policy ----

    [Drop("vlan-filtered", DropDirection.Ingress, "In a VLAN the ingress port does not carry (a foreign tag, or untagged on a trunk without a native VLAN)")]
    VlanFiltered,

    [Drop("isolated", DropDirection.Ingress, "Known unicast between two isolated ports")]
    Isolated,

    [Drop("flood-refused", DropDirection.Ingress, "To flood, but every other port of its VLAN refuses it (flood, mcast_flood or bcast_flood off, or both ports isolated)")]
    FloodRefused,

    // ---- mirroring ----

    [Drop("mirror-output", DropDirection.Ingress, "Received on a mirror's output port, whose own input is ignored (it carries only mirrored frames)")]
    MirrorOutput,

    // ---- socket ports (QEMU -netdev stream) ----

    // The stream cannot be resynchronized after a wrong length: one drop per disconnected peer.
    [Drop("bad-framing", DropDirection.Ingress, "A socket peer sent a frame length of 0 or over 65,535, or a frame cut short by the end of the stream: it is disconnected")]
    BadFraming,

    // ---- VXLAN ports (appended: the numbers of the reasons above stay as published) ----

    [Drop("vxlan-unknown-remote", DropDirection.Ingress, "A VXLAN datagram from a source that is not a configured remote VTEP (nor the group's): never learned from")]
    VxlanUnknownRemote,

    [Drop("vxlan-bad-header", DropDirection.Ingress, "A VXLAN datagram shorter than its 8-byte header, or whose flags or reserved bits are not exactly RFC 7348's (I flag only)")]
    VxlanBadHeader,

    [Drop("vxlan-wrong-vni", DropDirection.Ingress, "A VXLAN datagram with a VNI the port does not carry")]
    VxlanWrongVni,

    [Drop("vxlan-bad-inner", DropDirection.Ingress, "A VXLAN datagram whose inner frame is shorter than an Ethernet header or longer than the port takes (cut by the receive buffer)")]
    VxlanBadInner,

    [Drop("vxlan-over-mtu", DropDirection.Egress, "The inner frame plus the VXLAN encapsulation (50 bytes, 70 over IPv6, counting the inner Ethernet header) exceeds the underlay MTU")]
    VxlanOverMtu,

    [Drop("vxlan-unmapped-vlan", DropDirection.Egress, "The frame's VLAN (or untagged: no default VNI) has no VNI on the VXLAN port")]
    VxlanUnmappedVlan,

    [Drop("vxlan-no-remote", DropDirection.Egress, "To flood through the VXLAN port, but it has no remote VTEP and no group to send to")]
    VxlanNoRemote,

    // ---- netdev ports, transmit (appended) ----

    // Not a super-frame (those the kernel segments) and longer than the interface takes; also the kernel's EMSGSIZE.
    [Drop("tx-over-mtu", DropDirection.Egress, "Longer than the netdev interface's MTU plus an Ethernet header and two VLAN tags, and not a super-frame: not sent, never truncated")]
    TxOverMtu,

    // ---- datagram socket ports (QEMU -netdev dgram; appended: the numbers of the reasons above stay as published) ----

    // One port, one peer: a second QEMU (or anything else) writing to the socket is not a second station source.
    [Drop("dgram-foreign-sender", DropDirection.Ingress, "A datagram on a dgram port's socket from a sender other than its peer, or from an unnamed socket that could not be answered")]
    DgramForeignSender,

    [Drop("dgram-oversize", DropDirection.Ingress, "A datagram on a dgram port's socket longer than 65,535 bytes (cut short by the receive buffer: MSG_TRUNC)")]
    DgramOversize,

    // QEMU's dgram netdev reads a zero-length datagram as the end of its peer; the port neither sends nor takes one.
    [Drop("dgram-empty", DropDirection.Ingress, "An empty datagram on a dgram port's socket: it carries no frame")]
    DgramEmpty,
}

/// <summary>Drop reasons by number, for the engine's arrays indexed by reason (read from the schema).</summary>
internal static class DropReasons
{
    /// <summary>Reasons including <see cref="DropReason.None"/>: the length of an array indexed by reason.</summary>
    public static readonly int Count = Enum.GetValues<DropReason>().Length;

    public static bool IsIngress(DropReason reason) => CounterSchema.Of(reason)?.Drop == DropDirection.Ingress;

    public static string Name(DropReason reason) => reason == DropReason.None ? "none" : CounterSchema.Of(reason)?.Name ?? "unknown";
}
