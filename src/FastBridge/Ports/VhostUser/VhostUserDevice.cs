using FastBridge.Interop;

namespace FastBridge.Ports.VhostUser;

/// <summary>What handling one message asks the connection to do next.</summary>
internal enum MessageOutcome
{
    /// <summary>Handled; an ack goes back if the frontend asked for one (REPLY_ACK).</summary>
    Done,

    /// <summary>Handled; the reply payload is ready.</summary>
    Reply,

    /// <summary>Understood but refused (unknown request, a feature not offered): a failing ack if one was asked for.</summary>
    Refused,

    /// <summary>Malformed: close the connection and mark the port down.</summary>
    Malformed,
}

/// <summary>
/// The backend's state for one frontend connection: negotiated features, guest memory and the two rings, changed by
/// the vhost-user messages (QEMU docs/interop/vhost-user.rst) one at a time.
/// </summary>
/// <remarks>
/// Design: pure message semantics, no socket: <see cref="Handle"/> takes a parsed header, its payload and the fds
/// that came with it and fills the reply. The port calls it on its control thread with the dataplane unpublished
/// (so no worker reads what changes) and republishes when <see cref="Ready"/>. Fuzz entry point together with
/// <see cref="VhostHeader.TryParseHeader"/>: bytes in, an outcome out, never an exception for any input.
/// Fds: Handle owns every fd it is given: it keeps the ones a ring or the memory table needs and closes the rest.
/// </remarks>
internal sealed class VhostUserDevice : IDisposable
{
    /// <param name="requireSealedMemory">Refuse a memory table whose files cannot be sealed against shrinking.</param>
    public VhostUserDevice(bool requireSealedMemory = false)
    {
        Rings = [new Virtqueue(), new Virtqueue()];
        RequireSealedMemory = requireSealedMemory;
    }

    public bool RequireSealedMemory { get; }

    public Virtqueue[] Rings { get; }

    public Virtqueue Rx => Rings[VhostProtocol.RxRing];

    public Virtqueue Tx => Rings[VhostProtocol.TxRing];

    public ulong Features { get; private set; }

    public ulong ProtocolFeatures { get; private set; }

    public bool FeaturesSet { get; private set; }

    public GuestMemory Memory { get; private set; } = GuestMemory.Empty;

    /// <summary>Bytes of virtio-net header in front of each frame: 12 with VERSION_1 or MRG_RXBUF, else 10.</summary>
    public int HeaderLength => Has(VhostProtocol.Version1) || Has(VhostProtocol.NetMrgRxBuf) ? 12 : 10;

    public bool Mergeable => Has(VhostProtocol.NetMrgRxBuf);

    public bool Indirect => Has(VhostProtocol.RingIndirectDesc);

    /// <summary>The guest takes checksum and TCP segmentation offloads on what it receives.</summary>
    public bool GuestOffloads => Has(VhostProtocol.NetGuestCsum) && Has(VhostProtocol.NetGuestTso4) && Has(VhostProtocol.NetGuestTso6);

    /// <summary>
    /// The guest also takes UDP super-frames (USO) whole: it takes the offloads above and negotiated GUEST_USO4 and
    /// GUEST_USO6 (one alone is treated as neither: the engine's UDP super-frame does not say its IP version cheaply).
    /// </summary>
    public bool GuestUdpOffloads => GuestOffloads && Has(VhostProtocol.NetGuestUso4) && Has(VhostProtocol.NetGuestUso6);

    /// <summary>Kicks arrive on the kick fd; when false for a started ring the frontend polls (no fd given).</summary>
    public bool[] Started { get; } = new bool[VhostProtocol.Rings];

    /// <summary>Both rings are configured, translated and enabled: the dataplane may walk them.</summary>
    public bool Ready
    {
        get
        {
            for (int i = 0; i < VhostProtocol.Rings; i++)
            {
                Virtqueue q = Rings[i];
                bool enabled = q.Enabled || !Has(VhostProtocol.ProtocolFeatures);
                if (!Started[i] || !enabled || !q.Translate(Memory))
                {
                    return false;
                }

                q.EventIdx = Has(VhostProtocol.RingEventIdx);
            }

            return true;
        }
    }

    private bool Has(int bit) => VhostProtocol.Has(Features, bit);

    /// <summary>
    /// Applies one message. <paramref name="reply"/> receives a reply payload (at least 8 bytes) whose length is
    /// <paramref name="replyLength"/> when the outcome is <see cref="MessageOutcome.Reply"/>.
    /// </summary>
    public MessageOutcome Handle(VhostHeader header, ReadOnlySpan<byte> payload, ReadOnlySpan<int> fds, Span<byte> reply,
        out int replyLength, out string? error)
    {
        replyLength = 0;
        error = null;
        int expected = VhostProtocol.ExpectedFds(header.Request, payload);
        if (expected != fds.Length && IsKnown(header.Request))
        {
            CloseAll(fds);
            error = $"{header.Request} came with {fds.Length} fds, expected {expected}";
            return MessageOutcome.Malformed;
        }

        MessageOutcome outcome = HandleCore(header.Request, payload, fds, reply, ref replyLength, ref error);
        return outcome;
    }

    private static bool IsKnown(VhostRequest request) => request is >= VhostRequest.GetFeatures and <= VhostRequest.NetSetMtu;

    private MessageOutcome HandleCore(VhostRequest request, ReadOnlySpan<byte> payload, ReadOnlySpan<int> fds, Span<byte> reply,
        ref int replyLength, ref string? error)
    {
        switch (request)
        {
            case VhostRequest.GetFeatures:
                return ReplyU64(VhostProtocol.OfferedFeatures, reply, ref replyLength);
            case VhostRequest.GetProtocolFeatures:
                return ReplyU64(VhostProtocol.OfferedProtocolFeatures, reply, ref replyLength);
            case VhostRequest.GetQueueNum:
                return ReplyU64(VhostProtocol.QueuePairs, reply, ref replyLength);
            case VhostRequest.SetFeatures:
                return SetFeatures(payload, ref error);
            case VhostRequest.SetProtocolFeatures:
                if (!TryU64(payload, out ulong protocol) || (protocol & ~VhostProtocol.OfferedProtocolFeatures) != 0)
                {
                    error = "protocol features not offered";
                    return MessageOutcome.Malformed;
                }

                ProtocolFeatures = protocol;
                return MessageOutcome.Done;
            case VhostRequest.SetOwner:
                return MessageOutcome.Done;
            case VhostRequest.ResetOwner:
                Reset();
                return MessageOutcome.Done;
            case VhostRequest.SetMemTable:
                return SetMemTable(payload, fds, ref error);
            case VhostRequest.SetVringNum:
                return SetVringNum(payload, ref error);
            case VhostRequest.SetVringAddr:
                return SetVringAddr(payload, ref error);
            case VhostRequest.SetVringBase:
                return SetVringBase(payload, ref error);
            case VhostRequest.GetVringBase:
                return GetVringBase(payload, reply, ref replyLength, ref error);
            case VhostRequest.SetVringKick:
            case VhostRequest.SetVringCall:
            case VhostRequest.SetVringErr:
                return SetVringFd(request, payload, fds, ref error);
            case VhostRequest.SetVringEnable:
                if (!TryRing(payload, out Virtqueue? q, out uint num, ref error))
                {
                    return MessageOutcome.Malformed;
                }

                q!.Enabled = num != 0;
                return MessageOutcome.Done;
            default:
                // Unknown, or known but not offered (dirty log, RARP, MTU): refused, the connection stays.
                CloseAll(fds);
                error = $"request {(uint)request} not supported";
                return MessageOutcome.Refused;
        }
    }

    private MessageOutcome SetFeatures(ReadOnlySpan<byte> payload, ref string? error)
    {
        if (!TryU64(payload, out ulong features))
        {
            error = "SET_FEATURES without its 8 bytes";
            return MessageOutcome.Malformed;
        }

        if ((features & ~VhostProtocol.OfferedFeatures) != 0)
        {
            // VHOST_F_LOG_ALL (live migration) lands here too: not offered, refused cleanly.
            error = $"features 0x{features & ~VhostProtocol.OfferedFeatures:x} not offered";
            return MessageOutcome.Refused;
        }

        Features = features;
        FeaturesSet = true;
        return MessageOutcome.Done;
    }

    private MessageOutcome SetMemTable(ReadOnlySpan<byte> payload, ReadOnlySpan<int> fds, ref string? error)
    {
        GuestMemory? memory = GuestMemory.Map(payload, fds, out error, RequireSealedMemory);
        if (memory is null)
        {
            return MessageOutcome.Malformed;
        }

        Memory.Dispose(); // the port unpublished the dataplane before calling: no worker reads the old table
        Memory = memory;
        return MessageOutcome.Done;
    }

    private MessageOutcome SetVringNum(ReadOnlySpan<byte> payload, ref string? error)
    {
        if (!TryRing(payload, out Virtqueue? q, out uint num, ref error))
        {
            return MessageOutcome.Malformed;
        }

        if (num == 0 || num > Virtqueue.MaxSize || (num & (num - 1)) != 0)
        {
            error = $"ring size {num} is not a power of two up to {Virtqueue.MaxSize}";
            return MessageOutcome.Malformed;
        }

        q!.Size = num;
        return MessageOutcome.Done;
    }

    private MessageOutcome SetVringAddr(ReadOnlySpan<byte> payload, ref string? error)
    {
        if (payload.Length < 40 || BitConverter.ToUInt32(payload) >= VhostProtocol.Rings)
        {
            error = "SET_VRING_ADDR malformed";
            return MessageOutcome.Malformed;
        }

        Virtqueue q = Rings[BitConverter.ToUInt32(payload)];
        q.DescUser = BitConverter.ToUInt64(payload[8..]);
        q.UsedUser = BitConverter.ToUInt64(payload[16..]);
        q.AvailUser = BitConverter.ToUInt64(payload[24..]);
        q.AddressSet = true;
        return MessageOutcome.Done;
    }

    private MessageOutcome SetVringBase(ReadOnlySpan<byte> payload, ref string? error)
    {
        if (!TryRing(payload, out Virtqueue? q, out uint num, ref error) || num > ushort.MaxValue)
        {
            error ??= "SET_VRING_BASE beyond 16 bits";
            return MessageOutcome.Malformed;
        }

        q!.LastAvail = q.LastUsed = (ushort)num;
        return MessageOutcome.Done;
    }

    private MessageOutcome GetVringBase(ReadOnlySpan<byte> payload, Span<byte> reply, ref int replyLength, ref string? error)
    {
        if (!TryRing(payload, out Virtqueue? q, out _, ref error))
        {
            return MessageOutcome.Malformed;
        }

        int index = (int)BitConverter.ToUInt32(payload);
        Started[index] = false; // the ring stops: the port does not republish it until it is kicked off again
        BitConverter.TryWriteBytes(reply, (uint)index);
        BitConverter.TryWriteBytes(reply[4..], (uint)q!.LastAvail);
        replyLength = 8;
        if (q.KickFd >= 0)
        {
            Libc.Close(q.KickFd);
            q.KickFd = -1;
        }

        return MessageOutcome.Reply;
    }

    private MessageOutcome SetVringFd(VhostRequest request, ReadOnlySpan<byte> payload, ReadOnlySpan<int> fds, ref string? error)
    {
        ulong value = BitConverter.ToUInt64(payload); // ExpectedFds already required 8 bytes
        if ((value & ~(VhostProtocol.VringIndexMask | VhostProtocol.VringNoFd)) != 0 || (value & VhostProtocol.VringIndexMask) >= VhostProtocol.Rings)
        {
            CloseAll(fds);
            error = $"{request} for ring {value & VhostProtocol.VringIndexMask}";
            return MessageOutcome.Malformed;
        }

        int index = (int)(value & VhostProtocol.VringIndexMask);
        Virtqueue q = Rings[index];
        int fd = fds.Length == 1 ? fds[0] : -1;
        if (fd >= 0)
        {
            Syscall.SetNonBlocking(fd, out _);
        }

        switch (request)
        {
            case VhostRequest.SetVringKick:
                Replace(ref q.KickFd, fd);
                Started[index] = true;
                break;
            case VhostRequest.SetVringCall:
                Replace(ref q.CallFd, fd);
                break;
            default:
                if (fd >= 0)
                {
                    Libc.Close(fd); // errors are not reported to the frontend through this fd
                }

                break;
        }

        return MessageOutcome.Done;
    }

    private static void Replace(ref int slot, int fd)
    {
        if (slot >= 0)
        {
            Libc.Close(slot);
        }

        slot = fd;
    }

    private bool TryRing(ReadOnlySpan<byte> payload, out Virtqueue? ring, out uint num, ref string? error)
    {
        ring = null;
        num = 0;
        if (payload.Length < 8 || BitConverter.ToUInt32(payload) >= VhostProtocol.Rings)
        {
            error = payload.Length < 8 ? "ring state shorter than 8 bytes" : $"ring {BitConverter.ToUInt32(payload)} does not exist";
            return false;
        }

        ring = Rings[BitConverter.ToUInt32(payload)];
        num = BitConverter.ToUInt32(payload[4..]);
        return true;
    }

    private static bool TryU64(ReadOnlySpan<byte> payload, out ulong value)
    {
        value = payload.Length >= 8 ? BitConverter.ToUInt64(payload) : 0;
        return payload.Length >= 8;
    }

    private static MessageOutcome ReplyU64(ulong value, Span<byte> reply, ref int replyLength)
    {
        BitConverter.TryWriteBytes(reply, value);
        replyLength = 8;
        return MessageOutcome.Reply;
    }

    private static void CloseAll(ReadOnlySpan<int> fds)
    {
        foreach (int fd in fds)
        {
            Libc.Close(fd);
        }
    }

    /// <summary>Forgets the session: rings, features, memory (RESET_OWNER, or the frontend gone).</summary>
    public void Reset()
    {
        foreach (Virtqueue q in Rings)
        {
            q.Reset();
        }

        Array.Clear(Started);
        Features = ProtocolFeatures = 0;
        FeaturesSet = false;
        Memory.Dispose();
        Memory = GuestMemory.Empty;
    }

    public void Dispose() => Reset();
}
