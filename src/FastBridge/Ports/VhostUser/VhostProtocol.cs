namespace FastBridge.Ports.VhostUser;

/// <summary>vhost-user request numbers (QEMU docs/interop/vhost-user.rst, front-end to back-end).</summary>
internal enum VhostRequest : uint
{
    GetFeatures = 1,
    SetFeatures = 2,
    SetOwner = 3,
    ResetOwner = 4,
    SetMemTable = 5,
    SetLogBase = 6,
    SetLogFd = 7,
    SetVringNum = 8,
    SetVringAddr = 9,
    SetVringBase = 10,
    GetVringBase = 11,
    SetVringKick = 12,
    SetVringCall = 13,
    SetVringErr = 14,
    GetProtocolFeatures = 15,
    SetProtocolFeatures = 16,
    GetQueueNum = 17,
    SetVringEnable = 18,
    SendRarp = 19,
    NetSetMtu = 20,
}

/// <summary>Feature bits of virtio, virtio-net and vhost-user, and the constants of the message format.</summary>
internal static class VhostProtocol
{
    public const int HeaderSize = 12;

    /// <summary>Largest payload accepted: a memory table of <see cref="MaxRegions"/> regions fits well inside.</summary>
    public const int MaxPayload = 4096;

    /// <summary>VHOST_MEMORY_BASELINE_NREGIONS: regions a SET_MEM_TABLE may carry without CONFIGURE_MEM_SLOTS.</summary>
    public const int MaxRegions = 8;

    /// <summary>Most descriptors one message may carry (a full memory table).</summary>
    public const int MaxFds = MaxRegions;

    public const uint VersionMask = 0x3;
    public const uint Version = 0x1;
    public const uint FlagReply = 0x4;
    public const uint FlagNeedReply = 0x8;

    /// <summary>SET_VRING_KICK/CALL/ERR payload: bits 0-7 the ring, bit 8 "no descriptor attached" (polling).</summary>
    public const ulong VringIndexMask = 0xff;
    public const ulong VringNoFd = 0x100;

    public const int NetCsum = 0;
    public const int NetGuestCsum = 1;
    public const int NetGuestTso4 = 7;
    public const int NetGuestTso6 = 8;
    public const int NetHostTso4 = 11;
    public const int NetHostTso6 = 12;
    public const int NetMrgRxBuf = 15;
    public const int RingIndirectDesc = 28;
    public const int RingEventIdx = 29;
    public const int ProtocolFeatures = 30;
    public const int Version1 = 32;

    /// <summary>VIRTIO_NET_F_GUEST_USO4/6 (virtio 1.3): the guest takes UDP super-frames (gso_type UDP_L4) over IPv4/IPv6.</summary>
    public const int NetGuestUso4 = 54;
    public const int NetGuestUso6 = 55;

    /// <summary>
    /// VIRTIO_NET_F_HOST_USO (virtio 1.3): the guest may send UDP super-frames (gso_type UDP_L4); they are checked like
    /// any offload header (<c>GsoLayout.IsValid</c>) and cut in software only for ports that cannot take them whole.
    /// </summary>
    public const int NetHostUso = 56;

    /// <summary>VHOST_F_LOG_ALL (live migration's dirty log): never offered, so migration is refused cleanly.</summary>
    public const int LogAll = 26;

    public const int ProtocolReplyAck = 3;

    /// <summary>What FastBridge offers a frontend.</summary>
    public const ulong OfferedFeatures =
        (1UL << NetCsum) | (1UL << NetGuestCsum) | (1UL << NetGuestTso4) | (1UL << NetGuestTso6) |
        (1UL << NetHostTso4) | (1UL << NetHostTso6) | (1UL << NetMrgRxBuf) | (1UL << RingIndirectDesc) |
        (1UL << RingEventIdx) | (1UL << ProtocolFeatures) | (1UL << Version1) | (1UL << NetGuestUso4) | (1UL << NetGuestUso6) |
        (1UL << NetHostUso);

    public const ulong OfferedProtocolFeatures = 1UL << ProtocolReplyAck;

    /// <summary>Queue pairs offered (GET_QUEUE_NUM): one now; MQ would offer one per worker.</summary>
    public const ulong QueuePairs = 1;

    /// <summary>virtio-net: ring 0 receives (switch to guest), ring 1 transmits (guest to switch).</summary>
    public const int RxRing = 0;
    public const int TxRing = 1;
    public const int Rings = 2;

    public static bool Has(ulong features, int bit) => (features & (1UL << bit)) != 0;

    /// <summary>Descriptors a request must carry: the count the payload promises, -1 when the payload does not say.</summary>
    public static int ExpectedFds(VhostRequest request, ReadOnlySpan<byte> payload)
    {
        switch (request)
        {
            case VhostRequest.SetMemTable:
                return payload.Length >= 4 ? (int)Math.Min(BitConverter.ToUInt32(payload), int.MaxValue) : -1;
            case VhostRequest.SetVringKick:
            case VhostRequest.SetVringCall:
            case VhostRequest.SetVringErr:
                return payload.Length >= 8 ? ((BitConverter.ToUInt64(payload) & VringNoFd) != 0 ? 0 : 1) : -1;
            case VhostRequest.SetLogBase:
            case VhostRequest.SetLogFd:
                return 1;
            default:
                return 0;
        }
    }
}

/// <summary>The 12-byte header of a vhost-user message.</summary>
/// <remarks>
/// Fuzz entry point: <see cref="TryParseHeader"/> takes raw bytes from the socket; nothing a peer sends makes it throw.
/// </remarks>
internal readonly record struct VhostHeader(VhostRequest Request, uint Flags, uint Size)
{
    public bool NeedsReply => (Flags & VhostProtocol.FlagNeedReply) != 0;

    /// <summary>Reads a header; false (with a reason) for a wrong version or a payload over the limit.</summary>
    public static bool TryParseHeader(ReadOnlySpan<byte> bytes, out VhostHeader header, out string? error)
    {
        header = default;
        if (bytes.Length < VhostProtocol.HeaderSize)
        {
            error = "truncated header";
            return false;
        }

        uint request = BitConverter.ToUInt32(bytes);
        uint flags = BitConverter.ToUInt32(bytes[4..]);
        uint size = BitConverter.ToUInt32(bytes[8..]);
        if ((flags & VhostProtocol.VersionMask) != VhostProtocol.Version)
        {
            error = $"protocol version {flags & VhostProtocol.VersionMask}, expected 1";
            return false;
        }

        if (size > VhostProtocol.MaxPayload)
        {
            error = $"payload of {size} bytes (at most {VhostProtocol.MaxPayload})";
            return false;
        }

        header = new VhostHeader((VhostRequest)request, flags, size);
        error = null;
        return true;
    }

    public void Write(Span<byte> into)
    {
        BitConverter.TryWriteBytes(into, (uint)Request);
        BitConverter.TryWriteBytes(into[4..], Flags);
        BitConverter.TryWriteBytes(into[8..], Size);
    }
}
