using System.Runtime.Intrinsics;
using FastBridge.Buffers;
using FastBridge.Diagnostics;
using FastBridge.Frames;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Frames;

/// <summary>Tests that flip <see cref="FrameParser.UseVector"/> run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ParserPathSwitchCollection
{
    public const string Name = "FrameParser.UseVector";
}

/// <summary>The burst API parses Packets from a pool exactly as single Parse does, without allocating.</summary>
[Collection(ParserPathSwitchCollection.Name)]
public sealed class FrameParserBurstTests : IDisposable
{
    private const int BurstSize = 256;
    private readonly PacketPool _pool = new(smallCount: 1024, largeCount: 4);
    private readonly Packet[] _packets = new Packet[BurstSize];
    private readonly bool _useVectorBefore = FrameParser.UseVector;

    public FrameParserBurstTests()
    {
        var random = new Random(7);
        for (int i = 0; i < BurstSize; i++)
        {
            Assert.True(_pool.TryRent(PacketPool.MaxFrameLength + 1, out _packets[i]) || _pool.TryRent(128, out _packets[i]));
            FillFrame(random, i, _packets[i]);
        }
    }

    public void Dispose()
    {
        FrameParser.UseVector = _useVectorBefore;
        foreach (Packet packet in _packets)
        {
            packet.Release();
        }

        _pool.Dispose();
    }

    [Fact]
    public void Default_path_is_vector_exactly_when_Vector128_is_accelerated()
    {
        Assert.Equal(Vector128.IsHardwareAccelerated && BitConverter.IsLittleEndian, _useVectorBefore);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Burst_matches_single_parse_of_each_packet(bool useVector)
    {
        FrameParser.UseVector = useVector;
        var infos = new FrameInfo[BurstSize];

        FrameParser.ParseBurst(_packets, infos);

        var drops = new HashSet<DropReason>();
        for (int i = 0; i < BurstSize; i++)
        {
            FrameParser.ParseScalar(_packets[i].Span, out FrameInfo scalar);
            FrameParser.ParseVector128(_packets[i].Span, out FrameInfo vector);
            FrameParser.Parse(_packets[i].Span, out FrameInfo single);
            FrameInfoAssert.Equal(scalar, infos[i], $"packet {i}");
            FrameInfoAssert.Equal(vector, infos[i], $"packet {i}");
            FrameInfoAssert.Equal(single, infos[i], $"packet {i}");
            drops.Add(infos[i].Drop);
        }

        // The burst covers every ingress reason the parser gives, and good frames.
        Assert.Equal([DropReason.None, DropReason.Runt, DropReason.TruncatedTag, DropReason.InvalidSource, DropReason.Oversize], drops.Order());
    }

    [Fact]
    public void Both_burst_paths_agree()
    {
        var scalar = new FrameInfo[BurstSize];
        var vector = new FrameInfo[BurstSize];

        FrameParser.ParseBurstScalar(_packets, scalar);
        FrameParser.ParseBurstVector128(_packets, vector);

        for (int i = 0; i < BurstSize; i++)
        {
            FrameInfoAssert.Equal(scalar[i], vector[i], $"packet {i}");
        }
    }

    [Fact]
    public void Burst_writes_only_as_many_infos_as_frames()
    {
        var infos = new FrameInfo[BurstSize];
        infos[10].Drop = DropReason.TxError;

        FrameParser.ParseBurst(_packets.AsSpan(0, 10), infos);
        FrameParser.ParseBurst([], infos);

        Assert.Equal(DropReason.TxError, infos[10].Drop);
    }

    [Fact]
    public void Infos_shorter_than_the_burst_are_refused()
    {
        var infos = new FrameInfo[BurstSize - 1];

        Assert.Throws<ArgumentOutOfRangeException>(() => FrameParser.ParseBurst(_packets, infos));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Ten_thousand_bursts_allocate_nothing(bool useVector)
    {
        FrameParser.UseVector = useVector;
        var infos = new FrameInfo[BurstSize];
        for (int i = 0; i < 200; i++)
        {
            FrameParser.ParseBurst(_packets, infos);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            FrameParser.ParseBurst(_packets, infos);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
    }

    /// <summary>A mix of good, tagged and malformed frames; packet 0 is the one large (oversize) buffer.</summary>
    private static void FillFrame(Random random, int i, Packet packet)
    {
        MacAddress dst = (i % 7) switch
        {
            0 => MacAddress.Broadcast,
            1 => MacAddress.Parse("01:00:5e:00:00:fb"),
            _ => Stations.Address(i),
        };
        MacAddress src = (i % 11) switch
        {
            3 => MacAddress.Broadcast,
            4 => default,
            _ => Stations.Address(1000 + i),
        };
        VlanTag[] tags = (i % 3) switch
        {
            0 => [],
            1 => [VlanTag.Dot1Q((ushort)random.Next(4096), (byte)random.Next(8))],
            _ => [VlanTag.Dot1ad((ushort)random.Next(4096)), VlanTag.Dot1Q((ushort)random.Next(4096), (byte)random.Next(8))],
        };
        int length = FrameBuilder.Write(packet.Buffer, dst, src, tags, FrameBuilder.EtherTypeIpv4, random.Next(0, 1400), (byte)i);
        if (i == 0)
        {
            length = PacketPool.MaxFrameLength + 1;
        }
        else if (i % 13 == 5)
        {
            length = random.Next(0, 14);
        }
        else if (i % 13 == 6 && tags.Length > 0)
        {
            length = random.Next(14, 14 + (tags.Length * 4));
        }

        packet.SetLength(length);
    }
}
