using FastBridge.Interop;

namespace FastBridge.Ports;

/// <summary>How <see cref="TapPort.Open"/> sets up the device.</summary>
/// <remarks>
/// Each option maps to TUNSETIFF flags (<see cref="TunFlags"/>) or to a setup step, so later ones slot in without
/// touching the frame path's shape: a virtio-net header option adds IFF_VNET_HDR (and TUNSETVNETHDRSZ/TUNSETOFFLOAD
/// after TUNSETIFF), a queue count adds IFF_MULTI_QUEUE and opens one fd per queue.
/// </remarks>
public sealed record TapPortOptions
{
    /// <summary>The defaults: a plain TAP (IFF_TAP | IFF_NO_PI), brought up.</summary>
    public static TapPortOptions Default { get; } = new();

    /// <summary>Set the interface administratively up (SIOCSIFFLAGS IFF_UP) in the current namespace after opening.</summary>
    public bool BringUp { get; init; } = true;

    /// <summary>The ifr_flags passed to TUNSETIFF.</summary>
    internal short TunFlags => Tun.IFF_TAP | Tun.IFF_NO_PI;
}
