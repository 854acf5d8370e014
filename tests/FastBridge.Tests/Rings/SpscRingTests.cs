using FastBridge.Rings;

namespace FastBridge.Tests.Rings;

public sealed class SpscRingTests
{
    [Fact]
    public void Keeps_order_and_refuses_when_full()
    {
        var ring = new SpscRing(4);
        for (int i = 0; i < 4; i++)
        {
            Assert.True(ring.TryEnqueue(i));
        }

        Assert.False(ring.TryEnqueue(99));
        Assert.Equal(4, ring.Count);
        for (int i = 0; i < 4; i++)
        {
            Assert.True(ring.TryDequeue(out int item));
            Assert.Equal(i, item);
        }

        Assert.False(ring.TryDequeue(out _));
        Assert.True(ring.IsEmpty);
    }

    [Fact]
    public void Batch_calls_move_what_fits_in_order_across_the_wrap()
    {
        var ring = new SpscRing(8);
        Span<int> into = stackalloc int[8];
        int next = 0;
        int expected = 0;
        for (int round = 0; round < 100; round++)
        {
            int[] batch = [next, next + 1, next + 2, next + 3, next + 4];
            int queued = ring.TryEnqueueMany(batch);
            next += queued;
            int got = ring.TryDequeueMany(into[..(round % 7 + 1)]);
            for (int i = 0; i < got; i++)
            {
                Assert.Equal(expected++, into[i]);
            }
        }

        while (ring.TryDequeue(out int item))
        {
            Assert.Equal(expected++, item);
        }

        Assert.Equal(next, expected);
    }

    [Fact]
    public void Rejects_capacities_that_are_not_powers_of_two()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SpscRing(3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SpscRing(1));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Concurrent_producer_and_consumer_lose_nothing_and_keep_order(bool batched)
    {
        const int Items = 2_000_000;
        var ring = new SpscRing(256);
        long deadline = Environment.TickCount64 + 60_000;
        var producer = new Thread(() =>
        {
            int[] batch = new int[32];
            int next = 0;
            while (next < Items && Environment.TickCount64 < deadline)
            {
                if (batched)
                {
                    int n = Math.Min(batch.Length, Items - next);
                    for (int i = 0; i < n; i++)
                    {
                        batch[i] = next + i;
                    }

                    next += ring.TryEnqueueMany(batch.AsSpan(0, n));
                }
                else if (ring.TryEnqueue(next))
                {
                    next++;
                }
            }
        });

        producer.Start();
        int expected = 0;
        int outOfOrder = 0;
        int[] into = new int[32];
        while (expected < Items && Environment.TickCount64 < deadline)
        {
            int n = batched ? ring.TryDequeueMany(into) : (ring.TryDequeue(out into[0]) ? 1 : 0);
            for (int i = 0; i < n; i++)
            {
                if (into[i] != expected)
                {
                    outOfOrder++;
                }

                expected++;
            }
        }

        producer.Join();
        Assert.Equal(Items, expected);
        Assert.Equal(0, outOfOrder);
    }
}
