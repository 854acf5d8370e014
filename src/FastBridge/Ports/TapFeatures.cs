namespace FastBridge.Ports;

/// <summary>What the kernel's TUN/TAP driver supports, as TUNGETFEATURES reports it (the IFF_* flags of linux/if_tun.h).</summary>
[Flags]
public enum TapFeatures
{
    None = 0,

    /// <summary>IFF_TUN: layer-3 devices.</summary>
    Tun = 0x0001,

    /// <summary>IFF_TAP: layer-2 (Ethernet) devices.</summary>
    Tap = 0x0002,

    /// <summary>IFF_NAPI: frames written go through NAPI.</summary>
    Napi = 0x0010,

    /// <summary>IFF_NAPI_FRAGS: NAPI with fragmented writes.</summary>
    NapiFragments = 0x0020,

    /// <summary>IFF_MULTI_QUEUE: several fds (queues) per device.</summary>
    MultiQueue = 0x0100,

    /// <summary>IFF_NO_PI: frames without the 4-byte packet-information prefix.</summary>
    NoPacketInformation = 0x1000,

    /// <summary>IFF_ONE_QUEUE: obsolete, always accepted.</summary>
    OneQueue = 0x2000,

    /// <summary>IFF_VNET_HDR: a virtio-net header (checksum and segmentation offload) in front of each frame.</summary>
    VnetHeader = 0x4000,

    /// <summary>IFF_TUN_EXCL: fail instead of attaching when the device exists.</summary>
    Exclusive = 0x8000,
}
