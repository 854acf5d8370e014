using FastBridge.Interop;

namespace FastBridge.Tests.Interop;

/// <summary>The worker loop's wait primitives: an eventfd doorbell seen through epoll, with tokens.</summary>
public sealed class EpollTests
{
    [Fact]
    public void A_signalled_eventfd_is_reported_with_its_token_until_drained()
    {
        using var epoll = new Epoll(8);
        using var doorbell = new EventFd();
        using var other = new EventFd();
        epoll.Add(doorbell.Fd, token: 7);
        epoll.Add(other.Fd, token: 3);

        Assert.Equal(0, epoll.Wait(0));

        doorbell.Signal();
        doorbell.Signal();
        Assert.Equal(1, epoll.Wait(1000));
        Assert.Equal(7, epoll.TokenAt(0));
        Assert.NotEqual(0u, epoll.EventsAt(0) & Libc.EPOLLIN);

        Assert.True(doorbell.Drain());
        Assert.False(doorbell.Drain());
        Assert.Equal(0, epoll.Wait(0));
    }

    [Fact]
    public void Remove_stops_reports_and_ignores_unknown_fds()
    {
        using var epoll = new Epoll(4);
        using var doorbell = new EventFd();
        epoll.Add(doorbell.Fd, token: 1);
        doorbell.Signal();

        Assert.True(epoll.Remove(doorbell.Fd));
        Assert.Equal(0, epoll.Wait(0));
        Assert.False(epoll.Remove(doorbell.Fd)); // ENOENT
        Assert.False(epoll.Remove(12345));       // EBADF
    }

    [Fact]
    public void Wait_and_signal_allocate_nothing()
    {
        using var epoll = new Epoll(4);
        using var doorbell = new EventFd();
        epoll.Add(doorbell.Fd, token: 2);
        Cycle(100);

        long before = GC.GetAllocatedBytesForCurrentThread();
        Cycle(1000);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);

        void Cycle(int n)
        {
            for (int i = 0; i < n; i++)
            {
                doorbell.Signal();
                if (epoll.Wait(1000) != 1 || epoll.TokenAt(0) != 2 || !doorbell.Drain())
                {
                    Assert.Fail("doorbell not seen");
                }
            }
        }
    }
}
