using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FastBridge.Diagnostics;

namespace FastBridge.Tests.Diagnostics;

/// <summary>
/// A worker's counter block keeps a full cache line between its counters and anything allocated next to it: the
/// padding is part of one array, whose element order the runtime guarantees (a class's field order it does not).
/// </summary>
public sealed class CounterBlockLayoutTests
{
    private const int CacheLine = 64;

    [Fact]
    public void Every_counter_is_at_least_a_cache_line_inside_the_block_array()
    {
        var block = new CounterBlock();
        long[] storage = block.Storage;
        ref long first = ref MemoryMarshal.GetArrayDataReference(storage);
        long length = storage.Length * (long)sizeof(long);
        foreach (Counter counter in Enum.GetValues<Counter>())
        {
            AssertInside(Unsafe.ByteOffset(ref first, ref block[counter]), length, counter.ToString());
        }

        foreach (DropReason reason in Enum.GetValues<DropReason>())
        {
            AssertInside(Unsafe.ByteOffset(ref first, ref block.Dropped(reason)), length, reason.ToString());
        }
    }

    [Fact]
    public void Every_slot_is_its_own_and_the_padding_stays_zero()
    {
        var block = new CounterBlock();
        foreach (Counter counter in Enum.GetValues<Counter>())
        {
            block[counter] += 1 + (int)counter;
        }

        foreach (DropReason reason in Enum.GetValues<DropReason>().Skip(1))
        {
            block.Drop(reason);
        }

        foreach (CounterDefinition d in CounterSchema.All)
        {
            Assert.Equal(d.Counter is { } c ? 1 + (int)c : 1, block.Read(d.Slot));
        }

        long[] storage = block.Storage;
        Assert.All(storage[..CounterBlock.PaddingSlots], v => Assert.Equal(0, v));
        Assert.All(storage[^CounterBlock.PaddingSlots..], v => Assert.Equal(0, v));

        var values = new CounterValues();
        values.Add(block);
        values.Add(block);
        Assert.Equal(2 * (1 + (int)Counter.Flaps), values[Counter.Flaps]);
        Assert.Equal(2, values.Dropped(DropReason.StormLimit));
    }

    private static void AssertInside(nint offset, long length, string what)
    {
        Assert.True(offset >= CacheLine, $"{what} at byte {offset}: less than a cache line after the array's start");
        Assert.True(length - (offset + sizeof(long)) >= CacheLine, $"{what} ends {length - offset - sizeof(long)} bytes before the array's end");
    }
}
