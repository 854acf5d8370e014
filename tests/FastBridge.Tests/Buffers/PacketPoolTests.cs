using FastBridge.Buffers;

namespace FastBridge.Tests.Buffers;

public sealed class PacketPoolTests
{
    [Fact]
    public void Small_and_large_classes_serve_by_size_and_come_back_on_last_release()
    {
        using var pool = new PacketPool(smallCount: 4, largeCount: 2);
        Assert.True(pool.TryRent(100, out Packet small));
        Assert.Equal(PacketPool.SmallBufferSize, small.Capacity);
        Assert.True(pool.TryRent(9000, out Packet large));
        Assert.Equal(PacketPool.LargeBufferSize, large.Capacity);
        Assert.False(pool.TryRent(PacketPool.LargeBufferSize + 1, out _));
        Assert.Equal(3, pool.SmallAvailable);
        Assert.Equal(1, pool.LargeAvailable);

        small.AddRef(2); // flooded to three ports
        small.Release();
        small.Release();
        Assert.Equal(3, pool.SmallAvailable);
        small.Release();
        Assert.Equal(4, pool.SmallAvailable);
        large.Release();
        Assert.Equal(2, pool.LargeAvailable);
    }

    [Fact]
    public void Exhaustion_refuses_instead_of_waiting()
    {
        using var pool = new PacketPool(smallCount: 2, largeCount: 0);
        Assert.True(pool.TryRent(64, out _));
        Assert.True(pool.TryRent(64, out _));
        Assert.False(pool.TryRent(64, out _));
        Assert.False(pool.TryRent(5000, out _));
    }

    [Fact]
    public void Copies_a_frame_in_and_reports_its_length()
    {
        using var pool = new PacketPool(smallCount: 2, largeCount: 1);
        byte[] jumbo = new byte[9000];
        jumbo[8999] = 0xAB;
        Assert.True(pool.TryRentCopy(jumbo, out Packet packet));
        Assert.Equal(9000, packet.Length);
        Assert.Equal(0xAB, packet.Span[8999]);
        Assert.Throws<ArgumentOutOfRangeException>(() => packet.SetLength(PacketPool.LargeBufferSize + 1));
        packet.Release();
    }

    [Fact]
    public void A_workers_cache_hands_back_the_buffer_it_released_last_and_its_buffers_still_count_as_available()
    {
        using var pool = new PacketPool(smallCount: 4096, largeCount: 1);
        OnWorkerThread(pool, () =>
        {
            Assert.True(pool.TryRent(64, out Packet first));
            int index = first.Index;
            first.Release();
            Assert.True(pool.TryRent(1500, out Packet again));
            Assert.Equal(index, again.Index); // LIFO: the one still in this core's cache
            again.Release();

            // More than a cache holds (4096 / 64 = 64): the shared list takes the overflow.
            AssertRentedAndReturned(pool, size: 64, count: 300, () => pool.SmallAvailable, total: 4096);
        });
        Assert.Equal(4096, pool.SmallAvailable);

        var indices = new HashSet<int>(); // every buffer is rentable exactly once from a thread without a cache
        while (pool.TryRent(64, out Packet packet))
        {
            Assert.True(indices.Add(packet.Index));
        }

        Assert.Equal(4096, indices.Count);
    }

    [Fact]
    public void A_workers_cache_hands_back_the_large_buffer_it_released_last_and_gives_every_one_back_on_detach()
    {
        using var pool = new PacketPool(smallCount: 4096, largeCount: 64);
        OnWorkerThread(pool, () =>
        {
            Assert.True(pool.TryRent(PacketPool.LargeBufferSize, out Packet a));
            Assert.True(pool.TryRent(PacketPool.LargeBufferSize, out Packet b));
            int ia = a.Index, ib = b.Index;
            a.Release();
            Assert.True(pool.TryRent(65536, out Packet next));
            Assert.Equal(ia, next.Index); // LIFO: the super-frame buffer this worker released last, still in its L2
            b.Release();
            next.Release();
            Assert.True(pool.TryRent(65536, out next));
            Assert.Equal(ia, next.Index);
            Assert.True(pool.TryRent(65536, out Packet other));
            Assert.Equal(ib, other.Index);
            next.Release();
            other.Release();

            // More than a cache holds: the overflow goes to the shared list.
            AssertRentedAndReturned(pool, size: 65536, count: 20, () => pool.LargeAvailable, total: 64);
        });
        Assert.Equal(64, pool.LargeAvailable);

        var indices = new HashSet<int>(); // every large buffer is rentable exactly once from a thread without a cache
        while (pool.TryRent(65536, out Packet packet))
        {
            Assert.True(indices.Add(packet.Index));
        }

        Assert.Equal(64, indices.Count);
    }

    /// <summary>Runs <paramref name="body"/> on a thread with the pool's cache attached, as a worker does, and rethrows its assertion failures here.</summary>
    private static void OnWorkerThread(PacketPool pool, Action body)
    {
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            pool.AttachThreadCache();
            try
            {
                body();
            }
            catch (Exception e)
            {
                failure = e;
            }
            finally
            {
                pool.DetachThreadCache();
            }
        });
        thread.Start();
        thread.Join();
        Assert.Null(failure);
    }

    /// <summary>Rents <paramref name="count"/> buffers of <paramref name="size"/> on this thread, checks what is left, releases them all and checks every one is available again (cached ones included).</summary>
    private static void AssertRentedAndReturned(PacketPool pool, int size, int count, Func<int> available, int total)
    {
        var held = new Packet[count];
        for (int i = 0; i < held.Length; i++)
        {
            Assert.True(pool.TryRent(size, out held[i]));
        }

        Assert.Equal(total - count, available());
        foreach (Packet packet in held)
        {
            packet.Release();
        }

        Assert.Equal(total, available());
    }
}
