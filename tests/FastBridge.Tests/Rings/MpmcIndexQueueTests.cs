using FastBridge.Rings;

namespace FastBridge.Tests.Rings;

public sealed class MpmcIndexQueueTests
{
    [Fact]
    public void Fifo_and_bounded()
    {
        var queue = new MpmcIndexQueue(4);
        for (int i = 0; i < 4; i++)
        {
            Assert.True(queue.TryEnqueue(i));
        }

        Assert.False(queue.TryEnqueue(4));
        for (int i = 0; i < 4; i++)
        {
            Assert.True(queue.TryDequeue(out int item));
            Assert.Equal(i, item);
        }

        Assert.False(queue.TryDequeue(out _));
    }

    [Fact]
    public void A_refused_enqueue_of_a_never_full_queue_only_waits_for_the_slot_to_be_released()
    {
        var queue = new MpmcIndexQueue(2);
        Assert.True(queue.TryEnqueue(1));
        Assert.True(queue.TryEnqueue(2));
        Assert.True(queue.TryDequeue(out int first));
        Assert.Equal(1, first);
        queue.EnqueueNeverFull(1); // the slot was released: goes in at once
        Assert.True(queue.TryDequeue(out int second));
        Assert.Equal(2, second);
    }

    [Fact]
    public void Many_threads_passing_a_fixed_set_of_tokens_never_lose_or_duplicate_one()
    {
        const int Tokens = 1024;
        const int Threads = 4;
        const int OpsPerThread = 500_000;
        var queue = new MpmcIndexQueue(Tokens);
        for (int i = 0; i < Tokens; i++)
        {
            Assert.True(queue.TryEnqueue(i));
        }

        var threads = new Thread[Threads];
        for (int t = 0; t < Threads; t++)
        {
            threads[t] = new Thread(() =>
            {
                for (int op = 0; op < OpsPerThread; op++)
                {
                    if (queue.TryDequeue(out int token))
                    {
                        queue.EnqueueNeverFull(token);
                    }
                }
            });
            threads[t].Start();
        }

        foreach (Thread thread in threads)
        {
            thread.Join();
        }

        var seen = new bool[Tokens];
        while (queue.TryDequeue(out int token))
        {
            Assert.False(seen[token], $"token {token} twice");
            seen[token] = true;
        }

        Assert.All(seen, Assert.True);
    }
}
