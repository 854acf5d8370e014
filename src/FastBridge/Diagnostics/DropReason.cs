namespace FastBridge.Diagnostics;

/// <summary>
/// Why a frame (or one copy of a flooded frame) was not delivered. Every received frame ends either delivered or
/// under exactly one ingress reason; every copy handed to an output port ends transmitted or under one egress reason.
/// </summary>
public enum DropReason : byte
{
    /// <summary>Not dropped.</summary>
    None = 0,

    // ---- ingress: the frame as a whole ----

    /// <summary>Shorter than an Ethernet header (14 bytes).</summary>
    Runt,

    /// <summary>An 802.1Q/802.1ad TPID with no room for the tag and the EtherType after it.</summary>
    TruncatedTag,

    /// <summary>Source MAC is multicast, broadcast or all-zero (the Linux bridge drops these too).</summary>
    InvalidSource,

    /// <summary>Longer than <see cref="Buffers.PacketPool.MaxFrameLength"/>.</summary>
    Oversize,

    /// <summary>The pool had no buffer large enough (jumbo frames beyond the large buffers in flight).</summary>
    NoBuffer,

    /// <summary>Known unicast whose destination sits on the ingress port: filtered, as a hub-facing bridge does.</summary>
    SamePort,

    /// <summary>To flood, but no other port is up.</summary>
    NoOutput,

    /// <summary>A flood (broadcast, multicast or unknown unicast) over the ingress port's storm-control limit.</summary>
    StormLimit,

    /// <summary>
    /// The virtio-net header in front of a frame read from a TAP made no sense for the frame (unknown flags or GSO type,
    /// a checksum position outside the frame, a super-frame whose headers do not match its type).
    /// </summary>
    BadOffload,

    // ---- egress: one copy towards one output port ----

    /// <summary>The output port's ring was full: the port is slower than its offered load.</summary>
    RingFull,

    /// <summary>The output port is down or gone.</summary>
    PortDown,

    /// <summary>The output port's device refused the frame for another reason.</summary>
    TxError,

    /// <summary>
    /// The output port does not accept offloads and the pool had no buffer to finish the frame into (the segments of a
    /// super-frame, or a copy of a flooded frame whose checksum was pending).
    /// </summary>
    NoTxBuffer,
}

internal static class DropReasons
{
    public const int Count = (int)DropReason.NoTxBuffer + 1;

    public static bool IsIngress(DropReason reason) => reason is >= DropReason.Runt and <= DropReason.BadOffload;

    public static string Name(DropReason reason) => reason switch
    {
        DropReason.None => "none",
        DropReason.Runt => "runt",
        DropReason.TruncatedTag => "truncated-tag",
        DropReason.InvalidSource => "invalid-source",
        DropReason.Oversize => "oversize",
        DropReason.NoBuffer => "no-buffer",
        DropReason.SamePort => "same-port",
        DropReason.NoOutput => "no-output",
        DropReason.StormLimit => "storm-limit",
        DropReason.BadOffload => "bad-offload",
        DropReason.RingFull => "ring-full",
        DropReason.PortDown => "port-down",
        DropReason.TxError => "tx-error",
        DropReason.NoTxBuffer => "no-tx-buffer",
        _ => "unknown",
    };
}
