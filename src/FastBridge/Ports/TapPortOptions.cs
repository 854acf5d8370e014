using FastBridge.Interop;

namespace FastBridge.Ports;

/// <summary>How <see cref="TapPort.Open"/> sets up the device.</summary>
/// <remarks>
/// Each option maps to TUNSETIFF flags (<see cref="TunFlags"/>) or to a setup step, so later ones slot in without
/// touching the frame path's shape: <see cref="Offloads"/> adds IFF_VNET_HDR (and TUNSETVNETHDRSZ/TUNSETOFFLOAD after
/// TUNSETIFF); <see cref="Queues"/> above 1 adds IFF_MULTI_QUEUE and opens one fd per queue.
/// </remarks>
public sealed record TapPortOptions
{
    /// <summary>The defaults: a TAP (IFF_TAP | IFF_NO_PI) with offloads (IFF_VNET_HDR), brought up.</summary>
    public static TapPortOptions Default { get; } = new();

    /// <summary>Set the interface administratively up (SIOCSIFFLAGS IFF_UP) in the current namespace after opening.</summary>
    public bool BringUp { get; init; } = true;

    /// <summary>
    /// Open the device with a virtio-net header (IFF_VNET_HDR, 12 bytes) and TUNSETOFFLOAD (checksum, TSO4, TSO6, and
    /// USO4/USO6 where the kernel has them), so the kernel hands over TCP super-frames of up to 64 KiB with their
    /// checksum still to fill, and takes them back as they are; the port then <see cref="Port.AcceptsOffloads"/>. Frames
    /// switched towards a port without offloads are finished in software (checksums filled, super-frames segmented).
    /// On by default (Open vSwitch leaves its <c>userspace-tso-enable</c> off, but TCP across this switch moved 5-7x
    /// faster with it, on and off interleaved in one run, perf/OFFLOADS.md); <c>fastbridge run --no-offloads</c> turns it off. Off, the device
    /// hands over frames of its MTU with complete checksums only.
    /// </summary>
    public bool Offloads { get; init; } = true;

    /// <summary>
    /// Queues to open (1 to 64). More than one opens the device with IFF_MULTI_QUEUE and one fd per queue: each queue is
    /// received by one worker, and each worker writes through a queue of its own, so small-frame rate can grow with the
    /// workers (docs/multiqueue.md). 1, the default, opens one fd without IFF_MULTI_QUEUE, as QEMU's <c>queues=1</c> and
    /// Open vSwitch's <c>n_rxq=1</c> do; <c>fastbridge run --tap-queues N</c>, <c>port add NAME --queues N</c>. An existing
    /// device is attached only with its own kind: a persistent TAP made with <c>ip tuntap add ... multi_queue</c> takes
    /// more than one queue, any other exactly one.
    /// </summary>
    public int Queues { get; init; } = 1;

    /// <summary>The ifr_flags passed to TUNSETIFF.</summary>
    internal short TunFlags => (short)(Tun.IFF_TAP | Tun.IFF_NO_PI | (Offloads ? Tun.IFF_VNET_HDR : 0) | (Queues > 1 ? Tun.IFF_MULTI_QUEUE : 0));
}
