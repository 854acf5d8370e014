using System.Buffers.Binary;
using System.Text;
using FastBridge.Capture;

namespace FastBridge.Tests.Capture;

public sealed class PcapngWriterTests
{
    [Fact]
    public void Section_header_has_the_magic_version_unknown_length_and_the_application()
    {
        var output = new MemoryStream();
        new PcapngWriter(output, flushEachBlock: false).WriteSectionHeader("fastbridge test");

        PcapngBlocks.Block shb = Assert.Single(PcapngBlocks.Read(output.ToArray()));
        Assert.Equal(0x0A0D0D0Au, shb.Type);
        Assert.Equal(0x1A2B3C4Du, BinaryPrimitives.ReadUInt32LittleEndian(shb.Body));
        Assert.Equal(1, BinaryPrimitives.ReadUInt16LittleEndian(shb.Body.AsSpan(4)));
        Assert.Equal(0, BinaryPrimitives.ReadUInt16LittleEndian(shb.Body.AsSpan(6)));
        Assert.Equal(-1L, BinaryPrimitives.ReadInt64LittleEndian(shb.Body.AsSpan(8)));
        List<PcapngBlocks.Option> options = PcapngBlocks.Options(shb.Body, 16);
        Assert.Equal("fastbridge test", Encoding.UTF8.GetString(PcapngBlocks.Value(options, 4)));
    }

    [Theory]
    [InlineData("tap0")]      // a name that needs no padding
    [InlineData("vm-12345")]  // 8 bytes
    [InlineData("p")]         // 3 bytes of padding
    public void Interface_description_is_ethernet_with_the_port_name_and_nanosecond_resolution(string name)
    {
        var output = new MemoryStream();
        var writer = new PcapngWriter(output, flushEachBlock: false);
        Assert.Equal(0, writer.WriteInterface(name, 1500));
        Assert.Equal(1, writer.WriteInterface(name + "b", 1500));

        List<PcapngBlocks.Block> blocks = PcapngBlocks.Read(output.ToArray());
        Assert.Equal(2, blocks.Count);
        PcapngBlocks.Block idb = blocks[0];
        Assert.Equal(1u, idb.Type);
        Assert.Equal(1, BinaryPrimitives.ReadUInt16LittleEndian(idb.Body));       // LINKTYPE_ETHERNET
        Assert.Equal(0, BinaryPrimitives.ReadUInt16LittleEndian(idb.Body.AsSpan(2)));
        Assert.Equal(1500u, BinaryPrimitives.ReadUInt32LittleEndian(idb.Body.AsSpan(4)));
        List<PcapngBlocks.Option> options = PcapngBlocks.Options(idb.Body, 8);
        Assert.Equal(name, Encoding.UTF8.GetString(PcapngBlocks.Value(options, 2)));
        Assert.Equal([9], PcapngBlocks.Value(options, 9));
        Assert.Equal(name + "b", PcapngBlocks.InterfaceName(blocks[1]));
    }

    [Theory]
    [InlineData(60, 1u)]   // inbound (01)
    [InlineData(61, 2u)]   // outbound (10)
    [InlineData(63, 1u)]
    [InlineData(1514, 2u)]
    public void Enhanced_packet_carries_time_lengths_padded_bytes_and_direction(int length, uint flags)
    {
        var direction = (CaptureDirection)flags;
        byte[] frame = Enumerable.Range(0, length).Select(i => (byte)(i * 7)).ToArray();
        long time = 1_764_612_345_123_456_789; // a 2025 time in nanoseconds: needs both 32-bit halves
        var output = new MemoryStream();
        new PcapngWriter(output, flushEachBlock: false).WritePacket(3, time, direction, length + 100, frame);

        PcapngBlocks.Block epb = Assert.Single(PcapngBlocks.Read(output.ToArray()));
        (int iface, long t, byte[] data, int original, uint f) = PcapngBlocks.Packet(epb);
        Assert.Equal(3, iface);
        Assert.Equal(time, t);
        Assert.Equal(frame, data);
        Assert.Equal(length + 100, original);
        Assert.Equal(flags, f);
    }

    [Fact]
    public void Statistics_give_start_end_accepted_dropped_and_delivered()
    {
        var output = new MemoryStream();
        new PcapngWriter(output, flushEachBlock: false).WriteStatistics(1, startNanoseconds: 1_000_000_000_000, endNanoseconds: 5_000_000_000_123, filterAccepted: 40, dropped: 7, delivered: 33);

        PcapngBlocks.Block isb = Assert.Single(PcapngBlocks.Read(output.ToArray()));
        Assert.Equal(5u, isb.Type);
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(isb.Body));
        Assert.Equal(5_000_000_000_123, PcapngBlocks.Timestamp(isb.Body.AsSpan(4)));
        List<PcapngBlocks.Option> options = PcapngBlocks.Options(isb.Body, 12);
        Assert.Equal(1_000_000_000_000, PcapngBlocks.Timestamp(PcapngBlocks.Value(options, 2)));
        Assert.Equal(5_000_000_000_123, PcapngBlocks.Timestamp(PcapngBlocks.Value(options, 3)));
        Assert.Equal(7ul, PcapngBlocks.U64(PcapngBlocks.Value(options, 5)));   // isb_ifdrop
        Assert.Equal(40ul, PcapngBlocks.U64(PcapngBlocks.Value(options, 6)));  // isb_filteraccept
        Assert.Equal(33ul, PcapngBlocks.U64(PcapngBlocks.Value(options, 8)));  // isb_usrdeliv
    }

    [Fact]
    public void Unknown_counts_are_left_out_of_the_statistics()
    {
        var output = new MemoryStream();
        new PcapngWriter(output, flushEachBlock: false).WriteStatistics(0, 1, 2, filterAccepted: null, dropped: null, delivered: 5);

        List<PcapngBlocks.Option> options = PcapngBlocks.Options(Assert.Single(PcapngBlocks.Read(output.ToArray())).Body, 12);
        Assert.DoesNotContain(options, o => o.Code is 5 or 6);
        Assert.Equal(5ul, PcapngBlocks.U64(PcapngBlocks.Value(options, 8)));
    }

    [Fact]
    public void Each_block_is_one_write_and_flushed_when_streaming()
    {
        var output = new CountingStream();
        var writer = new PcapngWriter(output, flushEachBlock: true);
        writer.WriteSectionHeader("x");
        writer.WriteInterface("tap0", 65535);
        writer.WritePacket(0, 1, CaptureDirection.Inbound, 60, new byte[60]);

        Assert.Equal(3, output.Writes);
        Assert.Equal(3, output.Flushes);
    }

    private sealed class CountingStream : MemoryStream
    {
        public int Writes { get; private set; }

        public int Flushes { get; private set; }

        public override void Write(byte[] buffer, int offset, int count)
        {
            Writes++;
            base.Write(buffer, offset, count);
        }

        public override void Flush() => Flushes++;
    }
}
