using FastBridge.Capture;

namespace FastBridge.Tests.Capture;

public sealed class CaptureRingTests
{
    [Fact]
    public void Records_come_out_in_order_with_their_header_across_many_wraps()
    {
        var ring = new CaptureRing(4096);
        int written = 0, read = 0;
        for (int round = 0; round < 500; round++)
        {
            int length = 40 + ((round * 37) % 700); // lengths that leave every kind of tail before the end of the array
            byte[] frame = Frame(length, (byte)round);
            if (ring.TryWrite(new CaptureHeader(round % 5, CaptureDirection.Outbound, round, length), frame, int.MaxValue))
            {
                written++;
            }

            if (round % 3 != 0)
            {
                Take(ring, ref read);
            }
        }

        while (Take(ring, ref read))
        {
        }

        Assert.True(written > 300, $"only {written} of 500 fitted");
        Assert.Equal(written, read);
    }

    [Fact]
    public void A_full_ring_refuses_and_takes_again_once_read()
    {
        var ring = new CaptureRing(4096);
        byte[] frame = new byte[1000];
        int fitted = 0;
        while (ring.TryWrite(new CaptureHeader(0, CaptureDirection.Inbound, fitted, 1000), frame, int.MaxValue))
        {
            fitted++;
        }

        Assert.Equal(4, fitted); // 4 x (24 + 1000 -> 1024): exactly full
        Assert.True(ring.TryPeek(out CaptureHeader first, out _));
        Assert.Equal(0, first.Timestamp);
        ring.Consume();
        Assert.True(ring.TryWrite(new CaptureHeader(0, CaptureDirection.Inbound, 99, 1000), frame, int.MaxValue));
    }

    [Fact]
    public void Copies_are_cut_to_the_snap_length_and_to_half_the_ring()
    {
        var ring = new CaptureRing(4096);
        byte[] frame = Frame(3000, 1);
        Assert.True(ring.TryWrite(new CaptureHeader(1, CaptureDirection.Inbound, 5, 3000), frame, 100));
        Assert.True(ring.TryPeek(out CaptureHeader header, out ReadOnlySpan<byte> captured));
        Assert.Equal(3000, header.OriginalLength);
        Assert.Equal(frame.AsSpan(0, 100).ToArray(), captured.ToArray());
        ring.Consume();

        Assert.True(ring.TryWrite(new CaptureHeader(1, CaptureDirection.Inbound, 6, 3000), frame, int.MaxValue));
        Assert.True(ring.TryPeek(out _, out captured));
        Assert.Equal(ring.MaxCaptured, captured.Length);
        Assert.Equal(2048 - CaptureRing.HeaderBytes, ring.MaxCaptured);
    }

    [Fact]
    public void Sizes_that_are_not_a_power_of_two_or_too_small_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new CaptureRing(5000));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CaptureRing(2048));
    }

    private static bool Take(CaptureRing ring, ref int read)
    {
        if (!ring.TryPeek(out CaptureHeader header, out ReadOnlySpan<byte> captured))
        {
            return false;
        }

        Assert.Equal(header.OriginalLength, captured.Length);
        Assert.Equal((int)(header.Timestamp % 5), header.PortId);
        Assert.Equal(CaptureDirection.Outbound, header.Direction);
        Assert.Equal(Frame(captured.Length, (byte)header.Timestamp), captured.ToArray());
        Assert.True(header.Timestamp >= read, "records came out of order");
        ring.Consume();
        read++;
        return true;
    }

    private static byte[] Frame(int length, byte seed) => Enumerable.Range(0, length).Select(i => (byte)(i + seed)).ToArray();
}
