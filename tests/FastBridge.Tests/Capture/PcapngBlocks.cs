using System.Buffers.Binary;

namespace FastBridge.Tests.Capture;

/// <summary>
/// A strict little reader of pcapng for the tests, written from the specification rather than from the writer: it
/// checks every block's framing (both length fields equal, a multiple of 4) and splits options.
/// </summary>
internal static class PcapngBlocks
{
    public sealed record Block(uint Type, byte[] Body);

    public sealed record Option(ushort Code, byte[] Value);

    public static List<Block> Read(byte[] file)
    {
        var blocks = new List<Block>();
        int at = 0;
        while (at < file.Length)
        {
            Assert.True(file.Length - at >= 12, $"a block at {at} is shorter than 12 bytes");
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(at));
            int total = (int)BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(at + 4));
            Assert.True(total % 4 == 0, $"block at {at}: length {total} is not a multiple of 4");
            Assert.True(total >= 12 && at + total <= file.Length, $"block at {at}: length {total} runs past the file");
            Assert.Equal(total, (int)BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(at + total - 4)));
            blocks.Add(new Block(type, file.AsSpan(at + 8, total - 12).ToArray()));
            at += total;
        }

        return blocks;
    }

    /// <summary>The options that start at <paramref name="offset"/> of a body, up to opt_endofopt (which must be there).</summary>
    public static List<Option> Options(byte[] body, int offset)
    {
        var options = new List<Option>();
        int at = offset;
        while (true)
        {
            Assert.True(at + 4 <= body.Length, "options run past the block without opt_endofopt");
            ushort code = BinaryPrimitives.ReadUInt16LittleEndian(body.AsSpan(at));
            ushort length = BinaryPrimitives.ReadUInt16LittleEndian(body.AsSpan(at + 2));
            if (code == 0)
            {
                Assert.Equal(0, length);
                Assert.Equal(body.Length, at + 4);
                return options;
            }

            int padded = (length + 3) & ~3;
            Assert.True(at + 4 + padded <= body.Length, $"option {code} runs past the block");
            Assert.All(body.AsSpan(at + 4 + length, padded - length).ToArray(), b => Assert.Equal(0, b));
            options.Add(new Option(code, body.AsSpan(at + 4, length).ToArray()));
            at += 4 + padded;
        }
    }

    public static byte[] Value(List<Option> options, ushort code) => Assert.Single(options, o => o.Code == code).Value;

    public static ulong U64(byte[] value) => BinaryPrimitives.ReadUInt64LittleEndian(value);

    /// <summary>A pcapng timestamp value: high 32 bits then low 32 bits.</summary>
    public static long Timestamp(ReadOnlySpan<byte> value) =>
        (long)(((ulong)BinaryPrimitives.ReadUInt32LittleEndian(value) << 32) | BinaryPrimitives.ReadUInt32LittleEndian(value[4..]));

    /// <summary>An enhanced packet block's fields.</summary>
    public static (int Interface, long Time, byte[] Data, int OriginalLength, uint Flags) Packet(Block block)
    {
        Assert.Equal(6u, block.Type);
        byte[] b = block.Body;
        int captured = (int)BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(12));
        int original = (int)BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(16));
        List<Option> options = Options(b, 20 + ((captured + 3) & ~3));
        uint flags = BinaryPrimitives.ReadUInt32LittleEndian(Value(options, 2));
        return ((int)BinaryPrimitives.ReadUInt32LittleEndian(b), Timestamp(b.AsSpan(4)), b.AsSpan(20, captured).ToArray(), original, flags);
    }

    /// <summary>An interface description block's name.</summary>
    public static string InterfaceName(Block block)
    {
        Assert.Equal(1u, block.Type);
        return System.Text.Encoding.UTF8.GetString(Value(Options(block.Body, 8), 2));
    }
}
