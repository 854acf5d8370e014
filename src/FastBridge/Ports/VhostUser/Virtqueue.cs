using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using FastBridge.Interop;

namespace FastBridge.Ports.VhostUser;

/// <summary>
/// One split virtqueue: what the frontend configured (size, ring addresses, base index, kick and call fds) and, once
/// started, the translated ring pointers and the indices the device side owns.
/// </summary>
/// <remarks>
/// Layout (virtio 1.x, 2.6): descriptor table of 16-byte entries; avail ring { u16 flags, u16 idx, u16 ring[size],
/// u16 used_event }; used ring { u16 flags, u16 idx, { u32 id, u32 len }[size], u16 avail_event }.
/// Ownership: the control thread (message handling) writes the configuration only while the ring is not published to
/// the dataplane (<c>VhostUserPort</c> unpublishes and waits for the grace point first); while published, only the
/// worker touches <see cref="LastAvail"/> and <see cref="LastUsed"/>. The shared indices in guest memory are read with
/// acquire and written with release semantics (Volatile), and a full fence separates publishing used entries from
/// reading the guest's notification suppression (the classic virtio race).
/// </remarks>
internal sealed unsafe class Virtqueue : IDisposable
{
    public const ushort AvailNoInterrupt = 1;
    public const ushort UsedNoNotify = 1;
    public const uint MaxSize = 32768;

    public uint Size;
    public ulong DescUser;
    public ulong AvailUser;
    public ulong UsedUser;
    public bool AddressSet;
    public bool Enabled;
    public int KickFd = -1;
    public int CallFd = -1;

    /// <summary>Next avail entry the device will take (the base after SET_VRING_BASE / GET_VRING_BASE).</summary>
    public ushort LastAvail;

    /// <summary>Next used entry the device will fill.</summary>
    public ushort LastUsed;

    public nint Desc;
    public nint Avail;
    public nint Used;
    public bool EventIdx;
    public bool NotificationsOn = true;

    /// <summary>Translates the ring addresses through <paramref name="memory"/>; false when any is outside it or misaligned.</summary>
    public bool Translate(GuestMemory memory)
    {
        Desc = Avail = Used = 0;
        if (!AddressSet || Size == 0)
        {
            return false;
        }

        nint desc = memory.TranslateUser(DescUser, Size * 16UL);
        nint avail = memory.TranslateUser(AvailUser, 6 + (Size * 2UL));
        nint used = memory.TranslateUser(UsedUser, 6 + (Size * 8UL));
        if (desc == 0 || avail == 0 || used == 0 || (desc & 15) != 0 || (avail & 1) != 0 || (used & 3) != 0)
        {
            return false;
        }

        (Desc, Avail, Used) = (desc, avail, used);
        return true;
    }

    public ushort ReadAvailIndex() => Volatile.Read(ref *(ushort*)(Avail + 2));

    public ushort ReadAvailFlags() => Volatile.Read(ref *(ushort*)Avail);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint AvailEntry(ushort slot) => *(ushort*)(Avail + 4 + ((slot & (Size - 1)) * 2));

    /// <summary>
    /// Starts loading descriptor <paramref name="index"/>'s cache line (written by the guest on the other core) so that
    /// the walk finds it; a hint only: nothing is read, and an index beyond the table is not touched.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void PrefetchDescriptor(uint index)
    {
        if (Sse.IsSupported && index < Size)
        {
            Sse.Prefetch0((byte*)Desc + (index * 16));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void PutUsed(ushort slot, uint id, uint length)
    {
        byte* element = (byte*)Used + 4 + ((slot & (Size - 1)) * 8);
        *(uint*)element = id;
        *(uint*)(element + 4) = length;
    }

    /// <summary>Publishes the used entries written so far (release: the entries become visible first).</summary>
    public void PublishUsed() => Volatile.Write(ref *(ushort*)(Used + 2), LastUsed);

    /// <summary>
    /// Asks the guest to kick on new buffers (true) or not to (false, while the ring is polled, and always on the RX
    /// ring, whose buffers nobody waits for): the used ring's NO_NOTIFY flag, or with EVENT_IDX the avail_event index
    /// (kick me when you pass LastAvail; off: one behind LastAvail, which the guest's index passes only after a wrap).
    /// </summary>
    public void SetNotifications(bool on)
    {
        NotificationsOn = on;
        if (EventIdx)
        {
            Volatile.Write(ref *(ushort*)(Used + 4 + (Size * 8)), on ? LastAvail : (ushort)(LastAvail - 1));
            return;
        }

        Volatile.Write(ref *(ushort*)Used, on ? (ushort)0 : UsedNoNotify);
    }

    /// <summary>After <see cref="PublishUsed"/> moved the index from <paramref name="oldUsed"/>: does the guest want an interrupt?</summary>
    public bool GuestWantsInterrupt(ushort oldUsed)
    {
        Interlocked.MemoryBarrier(); // the used index is visible before we read the guest's suppression
        if (EventIdx)
        {
            ushort usedEvent = Volatile.Read(ref *(ushort*)(Avail + 4 + (Size * 2)));
            return (ushort)(LastUsed - usedEvent - 1) < (ushort)(LastUsed - oldUsed);
        }

        return (ReadAvailFlags() & AvailNoInterrupt) == 0;
    }

    /// <summary>Rings the guest's interrupt (the call eventfd): the one system call of a burst.</summary>
    public void Interrupt()
    {
        if (CallFd >= 0)
        {
            ulong one = 1;
            Syscall.Write(CallFd, &one, sizeof(ulong), out _);
        }
    }

    /// <summary>Empties the kick eventfd (non-blocking), so a level-triggered poll does not fire again for it.</summary>
    public void DrainKick()
    {
        if (KickFd >= 0)
        {
            ulong value;
            Syscall.Read(KickFd, &value, sizeof(ulong), out _);
        }
    }

    /// <summary>Forgets everything the frontend configured (RESET_OWNER, disconnect); closes the fds.</summary>
    public void Reset()
    {
        Dispose();
        Size = 0;
        DescUser = AvailUser = UsedUser = 0;
        AddressSet = Enabled = false;
        LastAvail = LastUsed = 0;
        Desc = Avail = Used = 0;
        NotificationsOn = true;
    }

    public void Dispose()
    {
        if (KickFd >= 0)
        {
            Libc.Close(KickFd);
            KickFd = -1;
        }

        if (CallFd >= 0)
        {
            Libc.Close(CallFd);
            CallFd = -1;
        }
    }
}
