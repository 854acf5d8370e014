using System.Buffers.Binary;
using System.Runtime.InteropServices;
using FastBridge.Interop;
using FastBridge.Ports.VhostUser;

namespace FastBridge.Tests.Ports.VhostUser;

/// <summary>
/// A memory table is checked against the files it names before anything is mapped, and a file the frontend could
/// shrink under the mapping (SIGBUS on the next touch) is sealed against it, or counted (refused on request) when it
/// cannot be sealed.
/// </summary>
public sealed unsafe class GuestMemoryTests
{
    private const int F_DUPFD_CLOEXEC = 1030;
    private const int EPERM = 1;

    [Theory]
    [InlineData(4096, 0, true)]       // the whole file
    [InlineData(4096, 4096, false)]   // one page past its end: touching it would raise SIGBUS
    [InlineData(8192, 0, false)]      // larger than the file
    public void A_region_is_mapped_only_when_its_file_holds_it(ulong size, ulong offset, bool accepted)
    {
        int fd = Libc.MemfdCreate("fastbridge-test-region", Libc.MFD_CLOEXEC);
        Assert.True(fd >= 0);
        Assert.Equal(0, Libc.Ftruncate(fd, 4096));

        // Map takes the fd over and closes it, whatever happens (closing it here too would close another test's fd).
        using GuestMemory? memory = GuestMemory.Map(Table(size, offset), [fd], out string? error);
        Assert.Equal(accepted, memory is not null);
        Assert.Equal(accepted, error is null);
    }

    [Fact]
    public void A_memfd_that_allows_sealing_cannot_be_shrunk_by_the_frontend_once_mapped()
    {
        int frontend = Libc.MemfdCreate("fastbridge-test-region", Libc.MFD_CLOEXEC | Libc.MFD_ALLOW_SEALING);
        Assert.True(frontend >= 0);
        try
        {
            Assert.Equal(0, Libc.Ftruncate(frontend, 8192));
            using GuestMemory? memory = GuestMemory.Map(Table(8192, 0), [Dup(frontend)], out string? error, requireSealed: true);
            Assert.NotNull(memory);
            Assert.Null(error);
            Assert.Equal(0, memory.UnsealedRegions);
            Assert.NotEqual(0, Libc.Fcntl(frontend, Libc.F_GET_SEALS, 0) & Libc.F_SEAL_SHRINK);

            // The frontend's own fd: shrinking is refused, so every page of the region stays touchable.
            Assert.Equal(-1, Libc.Ftruncate(frontend, 0));
            Assert.Equal(EPERM, Marshal.GetLastPInvokeError());
            nint last = memory.Translate(0x100000 + 8191, 1);
            Assert.NotEqual(0, last);
            *(byte*)last = 0x5a;
            Assert.Equal(0x5a, *(byte*)last);

            // Growing is the frontend's business and harmless to the mapping: not sealed.
            Assert.Equal(0, Libc.Ftruncate(frontend, 16384));
        }
        finally
        {
            Libc.Close(frontend);
        }
    }

    [Fact]
    public void A_memfd_the_frontend_sealed_itself_as_qemu_does_is_taken_as_sealed()
    {
        int frontend = Libc.MemfdCreate("fastbridge-test-region", Libc.MFD_CLOEXEC | Libc.MFD_ALLOW_SEALING);
        Assert.True(frontend >= 0);
        try
        {
            Assert.Equal(0, Libc.Ftruncate(frontend, 4096));
            Assert.Equal(0, Libc.Fcntl(frontend, Libc.F_ADD_SEALS, Libc.F_SEAL_SHRINK | Libc.F_SEAL_GROW | Libc.F_SEAL_SEAL));
            using GuestMemory? memory = GuestMemory.Map(Table(4096, 0), [Dup(frontend)], out string? error, requireSealed: true);
            Assert.NotNull(memory);
            Assert.Equal(0, memory.UnsealedRegions);
        }
        finally
        {
            Libc.Close(frontend);
        }
    }

    /// <summary>
    /// Files that cannot be sealed (a memfd created without MFD_ALLOW_SEALING; a tmpfs file, as hugetlbfs files are
    /// too): mapped and counted by default, the DPDK/OVS policy; refused when the port requires sealed memory.
    /// </summary>
    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void A_file_that_cannot_be_sealed_is_mapped_and_counted_or_refused_when_sealing_is_required(bool tmpfsFile, bool requireSealed)
    {
        string? path = tmpfsFile ? $"/dev/shm/fastbridge-test-{Guid.NewGuid():N}" : null;
        if (path is not null)
        {
            File.WriteAllBytes(path, []);
        }

        int frontend = path is null
            ? Libc.MemfdCreate("fastbridge-test-region", Libc.MFD_CLOEXEC)
            : Syscall.Open(path, Libc.O_RDWR | Libc.O_CLOEXEC, out _);
        Assert.True(frontend >= 0);
        try
        {
            Assert.Equal(0, Libc.Ftruncate(frontend, 4096));
            using GuestMemory? memory = GuestMemory.Map(Table(4096, 0), [Dup(frontend)], out string? error, requireSealed);
            if (requireSealed)
            {
                Assert.Null(memory);
                Assert.Contains("sealed", error, StringComparison.Ordinal);
            }
            else
            {
                Assert.NotNull(memory);
                Assert.Equal(1, memory.UnsealedRegions);
            }
        }
        finally
        {
            Libc.Close(frontend);
            if (path is not null)
            {
                File.Delete(path);
            }
        }
    }

    private static int Dup(int fd)
    {
        int copy = Libc.Fcntl(fd, F_DUPFD_CLOEXEC, 0);
        Assert.True(copy >= 0);
        return copy;
    }

    private static byte[] Table(ulong size, ulong offset)
    {
        byte[] table = new byte[8 + 32];
        BinaryPrimitives.WriteUInt32LittleEndian(table, 1);
        BinaryPrimitives.WriteUInt64LittleEndian(table.AsSpan(8), 0x100000);    // guest physical address
        BinaryPrimitives.WriteUInt64LittleEndian(table.AsSpan(16), size);
        BinaryPrimitives.WriteUInt64LittleEndian(table.AsSpan(24), 0x7f0000000000); // frontend's address
        BinaryPrimitives.WriteUInt64LittleEndian(table.AsSpan(32), offset);
        return table;
    }
}
