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
/// overflow; anything else is <see cref="IntPtr.Zero"/>. A buffer that straddles regions adjacent in guest-physical
/// space (QEMU may split guest RAM, e.g. below and above 4 GiB or around a hole) is cut into one piece per region by
/// <see cref="TrySplit"/>, which the walker calls only after <see cref="Translate"/> refused: no cost on the common path.
/// An indirect table that straddles them is checked whole with <see cref="Covers"/> and read a descriptor at a time
/// with <see cref="TryCopy"/>.
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

    /// <summary>
    /// Cuts guest-physical [address, address + length), which <see cref="Translate"/> refused, into pieces that each lie
    /// in one region, the next piece starting where the previous region ends; appends them to <paramref name="segments"/>
    /// from <paramref name="count"/>. <see cref="WalkError.BadAddress"/> when some byte lies in no region (checked before
    /// anything is appended), <see cref="WalkError.TooManySegments"/> when the pieces do not fit.
    /// </summary>
    public WalkError TrySplit(ulong address, ulong length, Span<BufferSegment> segments, ref int count)
    {
        int pieces = CountPieces(address, length);
        if (pieces < 0)
        {
            return WalkError.BadAddress;
        }

        if (count + pieces > segments.Length)
        {
            return WalkError.TooManySegments;
        }

        for (ulong at = address, left = length; left > 0;)
        {
            ref readonly GuestRegion region = ref _regions[RegionOf(at)];
            ulong offset = at - region.GuestPhysical;
            ulong piece = Math.Min(left, region.Size - offset);
            segments[count].Address = region.Host + (nint)offset;
            segments[count].Length = (uint)piece; // at most length, a descriptor's u32
            count++;
            at += piece;
            left -= piece;
        }

        return WalkError.None;
    }

    /// <summary>
    /// True when every byte of guest-physical [address, address + length) lies in some region (one, or several
    /// adjacent in guest-physical space): what an indirect table across regions must satisfy before it is read.
    /// </summary>
    public bool Covers(ulong address, ulong length) => CountPieces(address, length) >= 0;

    /// <summary>
    /// Copies guest-physical [address, address + into.Length) into <paramref name="into"/>, piece by piece across
    /// adjacent regions; false (nothing promised about <paramref name="into"/>) when a byte lies in no region.
    /// </summary>
    public unsafe bool TryCopy(ulong address, Span<byte> into)
    {
        ulong at = address;
        while (!into.IsEmpty)
        {
            int r = RegionOf(at);
            if (r < 0)
            {
                return false;
            }

            ref readonly GuestRegion region = ref _regions[r];
            ulong offset = at - region.GuestPhysical;
            int piece = (int)Math.Min((ulong)into.Length, region.Size - offset);
            new ReadOnlySpan<byte>((void*)(region.Host + (nint)offset), piece).CopyTo(into);
            into = into[piece..];
            at += (ulong)piece; // at most the region's end: Map refused regions whose end overflows
        }

        return true;
    }

    /// <summary>
    /// Pieces (one per region) guest-physical [address, address + length) is made of, each starting where the previous
    /// region ends; -1 when some byte lies in no region. At most one piece per region: each ends at a region's end.
    /// </summary>
    private int CountPieces(ulong address, ulong length)
    {
        int pieces = 0;
        for (ulong at = address, left = length; left > 0; pieces++)
        {
            int r = RegionOf(at);
            if (r < 0 || pieces == _regions.Length)
            {
                return -1;
            }

            ulong piece = Math.Min(left, _regions[r].Size - (at - _regions[r].GuestPhysical));
            at += piece; // ends at most at the region's end: Map refused regions whose end overflows
            left -= piece;
        }

        return pieces;
    }

    private int RegionOf(ulong address)
    {
        for (int i = 0; i < _regions.Length; i++)
        {
            if (address >= _regions[i].GuestPhysical && address - _regions[i].GuestPhysical < _regions[i].Size)
            {
                return i;
            }
        }

        return -1;
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
