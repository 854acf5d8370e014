namespace FastBridge.Diagnostics;

/// <summary>
/// Every counter of the bridge that is not a drop reason (those are <see cref="DropReason"/>), each defined once by its
/// <see cref="CounterAttribute"/>. The member is also the counter's index in a worker's <see cref="CounterBlock"/>.
/// </summary>
/// <remarks>
/// Adding a counter is one edit: add a member here with its attribute, then increment it where it happens
/// (<c>block[Counter.X]++</c>). The snapshot (<see cref="CounterValues"/>), the <c>stats</c> JSON, the CLI's counter
/// table, the demo and the <c>FastBridge</c> meter all walk <see cref="CounterSchema"/>, so they show it without
/// further edits; <c>CounterSchemaTests</c> checks that they do. docs/counters.md explains the rest. The order of the
/// members is the order of the table's columns and of the bridge line.
/// </remarks>
public enum Counter
{
    [Counter("rx-frames", CounterUnit.Frames, CounterScope.Port, "Frames received on the port", Column = true, Rate = true)]
    RxFrames,

    [Counter("rx-bytes", CounterUnit.Bytes, CounterScope.Port, "Bytes received on the port (a super-frame counts its own length)", Column = true, Rate = true)]
    RxBytes,

    [Counter("tx-frames", CounterUnit.Frames, CounterScope.Port, "Frames transmitted by the port (a super-frame counts once)", Column = true, Rate = true)]
    TxFrames,

    [Counter("tx-bytes", CounterUnit.Bytes, CounterScope.Port, "Bytes handed to the port's device", Column = true, Rate = true)]
    TxBytes,

    [Counter("flooded", CounterUnit.Frames, CounterScope.Port, "Received frames that were flooded (broadcast, multicast, unknown unicast)",
        Column = true, BridgeTotal = true)]
    Flooded,

    [Counter("forwarded", CounterUnit.Frames, CounterScope.Port, "Received frames that went on towards one port or a flood (rx-frames = forwarded + ingress drops)")]
    Forwarded,

    [Counter("tx-offered", CounterUnit.Frames, CounterScope.Port, "Frame copies handed to the port for transmission (tx-offered = tx-frames + egress drops)")]
    TxOffered,

    [Counter("rx-errors", CounterUnit.Errors, CounterScope.Port, "Reads from the port's device that failed (no frame was received)")]
    RxErrors,

    [Counter("tx-segmented", CounterUnit.Frames, CounterScope.Port, "Super-frames cut into segments for this port, which takes no offloads")]
    TxSegmented,

    [Counter("tx-segments", CounterUnit.Segments, CounterScope.Port, "Segments made from super-frames for this port")]
    TxSegments,

    [Counter("tx-csum-filled", CounterUnit.Frames, CounterScope.Port, "Frames whose pending checksum the engine filled for this port")]
    TxChecksumsFilled,



    [Counter("learned", CounterUnit.Events, CounterScope.Bridge, "New stations learned")]
    Learned,

    [Counter("moved", CounterUnit.Events, CounterScope.Bridge, "Stations seen on a new port")]
    Moved,

    [Counter("aged", CounterUnit.Events, CounterScope.Bridge, "MAC entries removed by aging")]
    Aged,

    [Counter("table-full", CounterUnit.Events, CounterScope.Bridge, "New stations not learned because the table was full (their frames flood)")]
    TableFull,

    [Counter("evicted", CounterUnit.Events, CounterScope.Bridge, "Entries evicted from the port holding the most, to learn a station of another port (fair eviction)")]
    Evicted,

    [Counter("port-limit", CounterUnit.Events, CounterScope.Bridge, "New stations not learned because their port held its MaxMacsPerPort")]
    PortLimit,

    [Counter("flaps", CounterUnit.Events, CounterScope.Bridge, "Moves of stations flapping between ports faster than the flap threshold")]
    Flaps,

    [Counter("flood-withheld", CounterUnit.Frames, CounterScope.Port, "Flood copies not sent to this port by policy (flood, mcast_flood or bcast_flood off, or both ports isolated)")]
    FloodWithheld,

    [Counter("vlan-copies", CounterUnit.Frames, CounterScope.Port, "Extra copies of frames received here, made because their output ports differ in VLAN tagging")]
    VlanCopies,

    [Counter("not-learned", CounterUnit.Events, CounterScope.Port, "Sources not learned because the port's learning is off")]
    NotLearned,

    [Counter("capture-dropped", CounterUnit.Frames, CounterScope.Port, "Copies of this port's frames a live capture dropped because its ring was full (the frames themselves were switched)")]
    CaptureDropped,

    [Counter("mirrored", CounterUnit.Frames, CounterScope.Port, "Copies of frames received or sent by this port made for a mirror (the output port counts them as tx-offered)")]
    Mirrored,

    [Counter("vxlan-datagrams-sent", CounterUnit.Frames, CounterScope.Port, "VXLAN datagrams this port sent: one per remote VTEP a frame went to (head-end replication makes several of one flooded frame)")]
    VxlanDatagramsSent,

    [Counter("vxlan-remote-learned", CounterUnit.Events, CounterScope.Port, "Inner source MACs this VXLAN port learned (or moved) behind a remote VTEP")]
    VxlanRemoteLearned,

    [Counter("dgram-peer-changes", CounterUnit.Events, CounterScope.Port, "Times a dgram port's peer came (its first frame, or its first after it went) or went (found gone on send or by a probe)")]
    DgramPeerChanges,
}
