namespace FastBridge.Interop;

/// <summary>
/// TUN/TAP ioctls and flags (linux/if_tun.h). The request numbers are _IOW/_IOR('T', nr, int) in the generic ioctl
/// encoding shared by x86-64 and arm64.
/// </summary>
internal static class Tun
{
    public const string DevicePath = "/dev/net/tun";

    /// <summary>_IOW('T', 202, int): create or attach to a device; takes an <see cref="IfReq"/>.</summary>
    public const uint TUNSETIFF = 0x400454ca;

    /// <summary>_IOW('T', 203, int): set (1) or clear (0) IFF_PERSIST; value argument.</summary>
    public const uint TUNSETPERSIST = 0x400454cb;

    /// <summary>_IOR('T', 207, unsigned int): the IFF_* flags this kernel supports.</summary>
    public const uint TUNGETFEATURES = 0x800454cf;

    /// <summary>_IOW('T', 208, unsigned int): TUN_F_* offloads the reader accepts; value argument.</summary>
    public const uint TUNSETOFFLOAD = 0x400454d0;

    /// <summary>_IOR('T', 210, unsigned int): name and flags of the attached device; fills an <see cref="IfReq"/>.</summary>
    public const uint TUNGETIFF = 0x800454d2;

    /// <summary>_IOR('T', 215, int): size of the virtio-net header in front of each frame; fills an int.</summary>
    public const uint TUNGETVNETHDRSZ = 0x800454d7;

    /// <summary>_IOW('T', 216, int): size of the virtio-net header in front of each frame (10 or 12); takes a pointer to an int.</summary>
    public const uint TUNSETVNETHDRSZ = 0x400454d8;

    public const short IFF_TUN = 0x0001;
    public const short IFF_TAP = 0x0002;
    public const short IFF_NAPI = 0x0010;
    public const short IFF_NAPI_FRAGS = 0x0020;
    public const short IFF_MULTI_QUEUE = 0x0100;
    public const short IFF_PERSIST = 0x0800;
    public const short IFF_NO_PI = 0x1000;
    public const short IFF_ONE_QUEUE = 0x2000;
    public const short IFF_VNET_HDR = 0x4000;
    public const short IFF_TUN_EXCL = unchecked((short)0x8000);

    public const uint TUN_F_CSUM = 0x01;
    public const uint TUN_F_TSO4 = 0x02;
    public const uint TUN_F_TSO6 = 0x04;
    public const uint TUN_F_TSO_ECN = 0x08;
    public const uint TUN_F_UFO = 0x10;
    public const uint TUN_F_USO4 = 0x20;
    public const uint TUN_F_USO6 = 0x40;
}
