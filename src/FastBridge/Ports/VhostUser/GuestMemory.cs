using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FastBridge.Interop;

namespace FastBridge.Ports.VhostUser;

/// <summary>One region of guest memory as the frontend described it, and where it is mapped here.</summary>
internal readonly record struct GuestRegion(ulong GuestPhysical, ulong Size, ulong UserAddress, nint Host);

/// <summary>
/// The guest's memory as this process sees it: the regions of one SET_MEM_TABLE, each mmapped MAP_SHARED from the fd
/// the frontend passed, and the translation of guest-physical (descriptor) and frontend-virtual (ring) addresses into
/// pointers here.
/// </summary>
/// <remarks>
/// Trust boundary: every address and length comes from the guest. <see cref="Translate"/> returns a pointer only when
/// the whole range [address, address + length) lies inside one region, checked with subtractions that cannot
/// overflow; anything else is <see cref="IntPtr.Zero"/>. A buffer straddling two regions is refused (QEMU's RAM regions
/// do not split a guest buffer in practice; DPDK splits such a buffer, a later refinement here).
/// A file that shrinks under a mapping turns the next touch of the lost pages into SIGBUS, which kills the process:
/// before its size is checked, each region's file is sealed against shrinking (F_SEAL_SHRINK, on the memfds that
/// allow sealing; QEMU seals its memfds so itself). Files that cannot be sealed (hugetlbfs files, memfds created
/// without MFD_ALLOW_SEALING) are mapped and counted in <see cref="UnsealedRegions"/>, or refused when the port
/// requires sealed memory: the policy and its reasons are in docs/vhost-user.md ("Trust boundary").
/// Lifetime: immutable once built. <see cref="Dispose"/> unmaps; the port calls it only after the dataplane passed its
/// grace point (<c>VhostUserPort</c>), so no worker can hold a pointer into it.
/// Also built over memory the caller owns (<see cref="Unowned"/>), for tests, benchmarks and fuzzing of the ring walk.
/// </remarks>
internal sealed class GuestMemory : IDisposable
{
    private readonly GuestRegion[] _regions;
    private readonly (nint Base, nuint Length)[] _mappings;
    private int _disposed;

    private GuestMemory(GuestRegion[] regions, (nint, nuint)[] mappings, int unsealedRegions = 0)
    {
        _regions = regions;
        _mappings = mappings;
        UnsealedRegions = unsealedRegions;
    }

    public static GuestMemory Empty { get; } = new([], []);

    public ReadOnlySpan<GuestRegion> Regions => _regions;

    /// <summary>Regions whose file could not be sealed against shrinking: the frontend process could still shrink them.</summary>
    public int UnsealedRegions { get; }

    /// <summary>Memory the caller maps and keeps alive (tests, fuzzing, benchmarks); Dispose unmaps nothing.</summary>
    public static GuestMemory Unowned(params GuestRegion[] regions) => new((GuestRegion[])regions.Clone(), []);

    /// <summary>
    /// Maps the regions of a SET_MEM_TABLE payload with their fds (taken over: closed here whatever happens). Returns null
    /// with <paramref name="error"/> when the table is malformed, a mapping fails, or (<paramref name="requireSealed"/>)
    /// a region's file cannot be sealed against shrinking; nothing stays mapped then.
    /// </summary>
    public static GuestMemory? Map(ReadOnlySpan<byte> payload, ReadOnlySpan<int> fds, out string? error, bool requireSealed = false)
    {
        try
        {
            return MapCore(payload, fds, requireSealed, out error);
        }
        finally
        {
            foreach (int fd in fds)
            {
                Libc.Close(fd);
            }
        }
    }

    private static GuestMemory? MapCore(ReadOnlySpan<byte> payload, ReadOnlySpan<int> fds, bool requireSealed, out string? error)
    {
        const int RegionSize = 32;
        if (payload.Length < 8)
        {
            error = "memory table shorter than its header";
            return null;
        }

        uint count = BitConverter.ToUInt32(payload);
        if (count == 0 || count > VhostProtocol.MaxRegions || payload.Length < 8 + (count * RegionSize) || fds.Length != count)
        {
            error = $"memory table of {count} regions with {fds.Length} fds in {payload.Length} bytes";
            return null;
        }

        var regions = new GuestRegion[count];
        var mappings = new (nint, nuint)[count];
        int mapped = 0;
        int unsealed = 0;
        for (int i = 0; i < count; i++)
        {
            // Sealed first, then measured: once F_SEAL_SHRINK holds, the size fstat reports can only grow.
            bool sealedAgainstShrink = SealAgainstShrink(fds[i]);
            if (!sealedAgainstShrink && requireSealed)
            {
                Unmap(mappings.AsSpan(0, mapped));
                error = $"region {i}'s file cannot be sealed against shrinking (not a memfd that allows sealing)";
                return null;
            }

            unsealed += sealedAgainstShrink ? 0 : 1;
            ReadOnlySpan<byte> r = payload.Slice(8 + (i * RegionSize), RegionSize);
            ulong gpa = BitConverter.ToUInt64(r);
            ulong size = BitConverter.ToUInt64(r[8..]);
            ulong user = BitConverter.ToUInt64(r[16..]);
            ulong offset = BitConverter.ToUInt64(r[24..]);
            // The file must hold the whole region: a mapping past its end maps fine, and the first touch there
            // raises SIGBUS, which would kill the switch (so would a later shrink: hence the seal above).
            bool sane = size > 0 && size <= long.MaxValue && offset <= long.MaxValue - size
                && gpa <= ulong.MaxValue - size && user <= ulong.MaxValue - size && (offset & 0xfff) == 0
                && Libc.FileSize(fds[i]) is >= 0 and var fileSize && (ulong)fileSize >= offset + size;
            nint host = sane
                ? Libc.Mmap(0, (nuint)(offset + size), Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED, fds[i], 0)
                : Libc.MapFailed;
            if (host == Libc.MapFailed)
            {
                int errno = Marshal.GetLastPInvokeError();
                Unmap(mappings.AsSpan(0, mapped));
                error = sane ? $"mmap of region {i} ({size} bytes) failed: errno {errno}" : $"region {i} is malformed or larger than its file";
                return null;
            }

            mappings[mapped++] = (host, (nuint)(offset + size));
            regions[i] = new GuestRegion(gpa, size, user, host + (nint)offset);
        }

        error = null;
        return new GuestMemory(regions, mappings, unsealed);
    }

    /// <summary>
    /// True when the file behind <paramref name="fd"/> can no longer shrink: it was sealed so already (QEMU's memfds),
    /// or this adds F_SEAL_SHRINK (a memfd created with MFD_ALLOW_SEALING). False for files without seals (hugetlbfs,
    /// tmpfs or regular files: EINVAL) and for memfds whose seals are themselves sealed without SHRINK (F_SEAL_SEAL,
    /// what a memfd created without MFD_ALLOW_SEALING carries).
    /// </summary>
    private static bool SealAgainstShrink(int fd)
    {
        int seals = Syscall.Fcntl(fd, Libc.F_GET_SEALS, 0, out _);
        if (seals < 0)
        {
            return false;
        }

        if ((seals & Libc.F_SEAL_SHRINK) != 0)
        {
            return true;
        }

        return (seals & Libc.F_SEAL_SEAL) == 0 && Syscall.Fcntl(fd, Libc.F_ADD_SEALS, Libc.F_SEAL_SHRINK, out _) == 0;
    }

    /// <summary>Pointer for guest-physical [address, address + length), or zero when it is not inside one region.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public nint Translate(ulong address, ulong length)
    {
        GuestRegion[] regions = _regions;
        for (int i = 0; i < regions.Length; i++)
        {
            ref readonly GuestRegion r = ref regions[i];
            ulong offset = address - r.GuestPhysical;
            if (address >= r.GuestPhysical && offset < r.Size && length <= r.Size - offset)
            {
                return r.Host + (nint)offset;
            }
        }

        return 0;
    }

    /// <summary>Pointer for frontend-virtual [address, address + length) (ring addresses), or zero.</summary>
    public nint TranslateUser(ulong address, ulong length)
    {
        foreach (GuestRegion r in _regions)
        {
            ulong offset = address - r.UserAddress;
            if (address >= r.UserAddress && offset < r.Size && length <= r.Size - offset)
            {
                return r.Host + (nint)offset;
            }
        }

        return 0;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Unmap(_mappings);
        }
    }

    private static void Unmap(ReadOnlySpan<(nint Base, nuint Length)> mappings)
    {
        foreach ((nint address, nuint length) in mappings)
        {
            Libc.Munmap(address, length);
        }
    }
}
