using System.Buffers.Binary;
using FastBridge.Interop;
using FastBridge.Ports.VhostUser;

namespace FastBridge.Tests.Ports.VhostUser;

/// <summary>A memory table is checked against the files it names before anything is mapped.</summary>
public sealed class GuestMemoryTests
{
    [Theory]
    [InlineData(4096, 0, true)]       // the whole file
    [InlineData(4096, 4096, false)]   // one page past its end: touching it would raise SIGBUS
    [InlineData(8192, 0, false)]      // larger than the file
    public void A_region_is_mapped_only_when_its_file_holds_it(ulong size, ulong offset, bool accepted)
    {
        int fd = Libc.MemfdCreate("fastbridge-test-region", Libc.MFD_CLOEXEC);
        Assert.True(fd >= 0);
        Assert.Equal(0, Libc.Ftruncate(fd, 4096));
        byte[] table = new byte[8 + 32];
        BinaryPrimitives.WriteUInt32LittleEndian(table, 1);
        BinaryPrimitives.WriteUInt64LittleEndian(table.AsSpan(8), 0x100000);    // guest physical address
        BinaryPrimitives.WriteUInt64LittleEndian(table.AsSpan(16), size);
        BinaryPrimitives.WriteUInt64LittleEndian(table.AsSpan(24), 0x7f0000000000); // frontend's address
        BinaryPrimitives.WriteUInt64LittleEndian(table.AsSpan(32), offset);

        // Map takes the fd over and closes it, whatever happens (closing it here too would close another test's fd).
        using GuestMemory? memory = GuestMemory.Map(table, [fd], out string? error);
        Assert.Equal(accepted, memory is not null);
        Assert.Equal(accepted, error is null);
    }
}
