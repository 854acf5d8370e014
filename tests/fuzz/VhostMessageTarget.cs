using System.Runtime.InteropServices;
using FastBridge.Ports.VhostUser;

namespace FastBridge.Fuzz;

/// <summary>
/// The <c>vhost-message</c> target: what a vhost-user frontend sends on the socket, through the backend's own message
/// handling: <see cref="VhostHeader.TryParseHeader"/> and <see cref="VhostUserDevice.Handle"/>, message after message
/// on one device, as one connection would; then, if the rings came up, a walk of whatever the avail rings offer.
/// </summary>
/// <remarks>
/// <para>
/// Input: records of [fd count][12-byte header][payload], and [0xff][offset u16][length u8][bytes] records in which the
/// guest writes into its first memory region (its rings and descriptors). The fd count byte (mod 9) says how many
/// descriptors "came with" the message: each is a fresh memfd of <see cref="FdBytes"/> that allows sealing (what
/// SET_MEM_TABLE maps, what KICK/CALL keep). The payload is the header's size (the rest of the input when shorter). A
/// header the parser refuses, or a message the device calls malformed, ends the connection (the input), as the port
/// does. After each message the frontend tries to shrink every memfd it has passed so far to nothing (it keeps its
/// own copy of each): the port must have sealed every file it mapped, or the next touch of guest memory is SIGBUS
/// (AFL records the crash).
/// </para>
/// <para>
/// Invariants (a violation throws, which AFL records as a crash): nothing throws; a reply is 8 to 256 bytes; a refused
/// or malformed message says why; the device closes or keeps every fd it was given (none leaks: the process's count of
/// open harness memfds is the same after the device is disposed as before the input); every mapping lies within its
/// memfd and every mapped file is sealed against shrinking; when <see cref="VhostUserDevice.Ready"/>,
/// every ring pointer lies inside guest memory and walking every offered chain (bounded by the ring size) returns a
/// verdict without touching memory outside the regions. Not driven: the socket itself (SCM_RIGHTS, partial reads) and
/// the worker's copy of frames in and out of the chains.
/// </para>
/// </remarks>
internal static class VhostMessageTarget
{
    public const int FdBytes = 64 * 1024;
    private const byte GuestWrite = 0xff;
    private const uint MfdAllowSealing = 2;
    private const int FDupFdCloexec = 1030;
    private static readonly bool s_trace = Environment.GetEnvironmentVariable("FASTBRIDGE_FUZZ_TRACE") == "1";
    private static readonly BufferSegment[] s_segments = new BufferSegment[DescriptorWalker.MaxSegments];
    private static readonly List<int> s_frontendCopies = [];
    private static readonly System.Reflection.FieldInfo s_mappings = typeof(GuestMemory).GetField("_mappings",
        System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic) ?? throw new MissingFieldException("GuestMemory._mappings");

    public static void Run(byte[] input)
    {
        int fdsBefore = OpenFds();
        using (var device = new VhostUserDevice())
        {
            try
            {
                Feed(device, input);
            }
            finally
            {
                CloseFrontendCopies();
            }

            bool ready = device.Ready;
            if (s_trace)
            {
                Console.Error.WriteLine($"ready: {ready}");
            }

            if (ready)
            {
                WalkOffered(device);
            }
        }

        int fdsAfter = OpenFds();
        if (fdsAfter != fdsBefore)
        {
            throw new InvalidOperationException($"{fdsAfter - fdsBefore} fds leaked (or closed twice) by the message handling");
        }
    }

    private static void Feed(VhostUserDevice device, byte[] input)
    {
        Span<byte> reply = stackalloc byte[256];
        Span<int> fds = stackalloc int[8];
        int at = 0;
        while (at < input.Length)
        {
            if (input[at] == GuestWrite)
            {
                at = WriteGuest(device, input, at + 1);
                continue;
            }

            if (input.Length - at < 1 + VhostProtocol.HeaderSize)
            {
                return;
            }

            int fdCount = input[at] % 9;
            at++;
            if (!VhostHeader.TryParseHeader(input.AsSpan(at, VhostProtocol.HeaderSize), out VhostHeader header, out string? parseError))
            {
                if (string.IsNullOrEmpty(parseError))
                {
                    throw new InvalidOperationException("a refused header without a reason");
                }

                return;
            }

            at += VhostProtocol.HeaderSize;
            int length = (int)Math.Min(header.Size, (uint)(input.Length - at));
            ReadOnlySpan<byte> payload = input.AsSpan(at, length);
            at += length;
            for (int i = 0; i < fdCount; i++)
            {
                fds[i] = NewMemfd();
                s_frontendCopies.Add(Dup(fds[i]));
            }

            MessageOutcome outcome = device.Handle(header, payload, fds[..fdCount], reply, out int replyLength, out string? error);
            ShrinkEverything(device.Memory);
            if (s_trace)
            {
                Console.Error.WriteLine($"{header.Request} ({payload.Length} bytes, {fdCount} fds): {outcome} {error}");
            }

            switch (outcome)
            {
                case MessageOutcome.Reply when replyLength < 8 || replyLength > reply.Length:
                    throw new InvalidOperationException($"{header.Request}: reply of {replyLength} bytes");
                case MessageOutcome.Refused or MessageOutcome.Malformed when string.IsNullOrEmpty(error):
                    throw new InvalidOperationException($"{header.Request}: {outcome} without a reason");
                case MessageOutcome.Malformed:
                    return;
            }
        }
    }

    /// <summary>A [0xff][offset u16][length u8][bytes] record: the guest writes into the first region of its memory
    /// (rings, descriptors, frames), within what the memfd holds. Returns where the next record starts.</summary>
    private static int WriteGuest(VhostUserDevice device, byte[] input, int at)
    {
        if (input.Length - at < 3)
        {
            return input.Length;
        }

        int offset = input[at] | (input[at + 1] << 8);
        int length = Math.Min(input[at + 2], input.Length - at - 3);
        ReadOnlySpan<GuestRegion> regions = device.Memory.Regions;
        if (regions.Length > 0 && (ulong)(offset + length) <= regions[0].Size)
        {
            Marshal.Copy(input, at + 3, regions[0].Host + offset, length);
        }

        return at + 3 + length;
    }

    /// <summary>
    /// The frontend shrinks every memfd it passed to nothing. Those the device mapped are sealed (F_SEAL_SHRINK), so
    /// the shrink fails and their mappings stay wholly within the file: touching any byte of a region is safe.
    /// </summary>
    private static void ShrinkEverything(GuestMemory memory)
    {
        foreach (int fd in s_frontendCopies)
        {
            Ftruncate(fd, 0);
        }

        if (memory.UnsealedRegions != 0)
        {
            throw new InvalidOperationException($"{memory.UnsealedRegions} mapped regions not sealed against shrinking (the harness's memfds allow sealing)");
        }

        foreach ((nint _, nuint length) in (ValueTuple<nint, nuint>[])s_mappings.GetValue(memory)!)
        {
            if (length > FdBytes)
            {
                throw new InvalidOperationException($"a mapping of {length} bytes over a memfd of {FdBytes}: touching its end is SIGBUS");
            }
        }
    }

    private static void CloseFrontendCopies()
    {
        foreach (int fd in s_frontendCopies)
        {
            Close(fd);
        }

        s_frontendCopies.Clear();
    }

    /// <summary>Every chain the avail rings offer, walked as the worker would (bounded by the ring size).</summary>
    private static void WalkOffered(VhostUserDevice device)
    {
        for (int r = 0; r < VhostProtocol.Rings; r++)
        {
            Virtqueue q = device.Rings[r];
            if (!Inside(device.Memory, q.Desc, q.Size * 16UL) || !Inside(device.Memory, q.Avail, 6 + (q.Size * 2UL))
                || !Inside(device.Memory, q.Used, 6 + (q.Size * 8UL)))
            {
                throw new InvalidOperationException($"ring {r}: a translated ring pointer is outside guest memory");
            }

            ushort offered = (ushort)(q.ReadAvailIndex() - q.LastAvail);
            int chains = Math.Min(offered, (int)q.Size);
            for (int i = 0; i < chains; i++)
            {
                uint head = q.AvailEntry((ushort)(q.LastAvail + i));
                WalkError error = DescriptorWalker.Walk(device.Memory, q.Desc, q.Size, head, device.Indirect,
                    deviceWrites: r == VhostProtocol.RxRing, s_segments, out int count, out ulong total);
                if (s_trace)
                {
                    Console.Error.WriteLine($"ring {r} chain {head}: {error}, {count} segments, {total} bytes");
                }

                for (int s = 0; error == WalkError.None && s < count; s++)
                {
                    if (!Inside(device.Memory, s_segments[s].Address, s_segments[s].Length))
                    {
                        throw new InvalidOperationException($"ring {r} chain {head}: segment {s} outside guest memory");
                    }
                }
            }
        }
    }

    private static bool Inside(GuestMemory memory, nint pointer, ulong length)
    {
        foreach (GuestRegion region in memory.Regions)
        {
            ulong offset = (ulong)(pointer - region.Host);
            if (pointer >= region.Host && offset < region.Size && length <= region.Size - offset)
            {
                return true;
            }
        }

        return false;
    }

    private static int NewMemfd()
    {
        int fd = MemfdCreate("fbfuzz", MfdAllowSealing);
        if (fd < 0 || Ftruncate(fd, FdBytes) != 0)
        {
            throw new InvalidOperationException($"memfd_create/ftruncate failed: errno {Marshal.GetLastPInvokeError()}");
        }

        return fd;
    }

    /// <summary>The harness's memfds still open in this process.</summary>
    private static int OpenFds()
    {
        int open = 0;
        foreach (string fd in Directory.GetFiles("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget?.StartsWith("/memfd:fbfuzz", StringComparison.Ordinal) == true)
                {
                    open++;
                }
            }
            catch (IOException)
            {
                // the fd closed while we looked (the enumeration's own)
            }
        }

        return open;
    }

    private static int Dup(int fd)
    {
        int copy = Fcntl(fd, FDupFdCloexec, 0);
        return copy >= 0 ? copy : throw new InvalidOperationException($"dup failed: errno {Marshal.GetLastPInvokeError()}");
    }

    [DllImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static extern int Fcntl(int fd, int command, int argument);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);

    [DllImport("libc", EntryPoint = "memfd_create", SetLastError = true)]
    private static extern int MemfdCreate([MarshalAs(UnmanagedType.LPStr)] string name, uint flags);

    [DllImport("libc", EntryPoint = "ftruncate", SetLastError = true)]
    private static extern int Ftruncate(int fd, long length);
}
