using FastBridge.Offloads;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Offloads;

/// <summary>The Internet checksum against a one-word-at-a-time reference, on random data of every shape.</summary>
public sealed class ChecksumTests
{
    [Fact]
    public void Random_data_of_every_length_up_to_600_bytes_and_any_start_matches_the_reference()
    {
        var random = new Random(42);
        var data = new byte[700];
        random.NextBytes(data);
        for (int start = 0; start < 4; start++)
        {
            for (int length = 0; length <= 600; length++)
            {
                ReadOnlySpan<byte> span = data.AsSpan(start, length);
                Assert.Equal(FrameBuilder.ReferenceChecksum(span), Checksum.Compute(span));
            }
        }
    }

    [Theory]
    [InlineData(1499)]
    [InlineData(9001)]
    [InlineData(65536)]
    public void Long_buffers_match_the_reference(int length)
    {
        var data = new byte[length];
        new Random(length).NextBytes(data);
        Assert.Equal(FrameBuilder.ReferenceChecksum(data), Checksum.Compute(data));
    }

    [Fact]
    public void All_ones_data_keeps_its_carries()
    {
        var data = new byte[65535];
        data.AsSpan().Fill(0xFF);
        Assert.Equal(FrameBuilder.ReferenceChecksum(data), Checksum.Compute(data));
        Assert.Equal(FrameBuilder.ReferenceChecksum(data.AsSpan(1)), Checksum.Compute(data.AsSpan(1)));
    }

    [Fact]
    public void A_sum_with_its_own_checksum_folds_to_all_ones()
    {
        var data = new byte[1000];
        new Random(7).NextBytes(data);
        data[10] = 0;
        data[11] = 0;
        ushort sum = Checksum.Compute(data);
        data[10] = (byte)(sum >> 8);
        data[11] = (byte)sum;
        Assert.Equal(0xFFFF, Checksum.Fold(Checksum.Add(data)));
    }
}
