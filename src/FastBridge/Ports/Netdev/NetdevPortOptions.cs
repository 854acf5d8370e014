namespace FastBridge.Ports.Netdev;

/// <summary>How a <see cref="NetdevPort"/> sets up its AF_PACKET socket and receive ring.</summary>
public sealed record NetdevPortOptions
{
    public static NetdevPortOptions Default { get; } = new();

    /// <summary>Bytes of one TPACKET_V3 block: a power of two, a multiple of the page size, at least 64 KiB.</summary>
    public int BlockSize { get; init; } = 1 << 18;

    /// <summary>Blocks in the receive ring (the ring holds BlockSize x BlockCount bytes of frames).</summary>
    public int BlockCount { get; init; } = 16;

    /// <summary>
    /// Milliseconds after which the kernel hands over a block that is not full (tp_retire_blk_tov; 1 is its minimum).
    /// A frame waits at most this long in a block under light load: the latency price of a block ring.
    /// </summary>
    public int BlockTimeoutMs { get; init; } = 1;

    /// <summary>
    /// True (the default): a TPACKET_V2 ring, one slot per frame with its own status word, which the kernel hands over
    /// (and wakes the worker for) as soon as the frame is written, so a lone frame is switched at once (RTT p50 25-48 us
    /// against 1-2 ms, at the same rate and CPU per frame in perf/RESULTS.md's netdev run); with
    /// <see cref="Offloads"/> a super-frame longer than a slot is read whole from the socket's queue. False
    /// (<c>--netdev-ring blocks</c>): the TPACKET_V3 block ring above, whose blocks reach the switch only when full or
    /// after <see cref="BlockTimeoutMs"/> (up to a millisecond per hop under light load).
    /// </summary>
    public bool LowLatency { get; init; } = true;

    /// <summary>
    /// True (the default): offloads through PACKET_VNET_HDR, a virtio-net header in front of every frame both ways, as
    /// for a TAP opened with offloads: TSO/USO super-frames and frames with a checksum still to fill come in whole from
    /// the interface and go out whole to TAP, vhost-user and other netdev ports that take offloads (the kernel cuts
    /// them where the interface cannot take them whole); a veth peer needs no <c>ethtool -K PEER tx off</c>. False
    /// (<c>fastbridge run --no-offloads</c>): plain frames; the engine finishes checksums and cuts super-frames before
    /// transmit, and the peer must send complete frames. Falls back to false where the kernel refuses the option.
    /// </summary>
    public bool Offloads { get; init; } = true;

    /// <summary>Put the interface into promiscuous mode (for the socket's lifetime), as a switch port must be.</summary>
    public bool Promiscuous { get; init; } = true;
}
