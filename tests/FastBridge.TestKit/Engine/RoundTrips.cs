using FastBridge.Buffers;
using FastBridge.Ports;

namespace FastBridge.Tests.Infrastructure;

/// <summary>
/// Frames both ways between a socket peer and memory port p0, a batch at a time, bounded in time (120 s): the traffic
/// of the socket ports' allocation tests.
/// </summary>
internal static class RoundTrips
{
    /// <summary>
    /// Per batch: <paramref name="sendUp"/> sends <paramref name="batch"/> frames from the peer, <paramref name="down"/>
    /// is injected into p0 as many times, then p0's frames are taken and the peer's received
    /// (<paramref name="receiveOne"/>, true for each frame). Returns round trips completed, up to <paramref name="count"/>.
    /// </summary>
    public static long Pump(MemoryPort p0, int count, int batch, Action sendUp, byte[] down, Func<bool> receiveOne)
    {
        long done = 0;
        long deadline = Environment.TickCount64 + 120_000;
        while (done < count && Environment.TickCount64 < deadline)
        {
            sendUp();
            for (int i = 0; i < batch; i++)
            {
                Assert.True(p0.TryInject(down));
            }

            int taken = 0;
            int received = 0;
            while ((taken < batch || received < batch) && Environment.TickCount64 < deadline)
            {
                while (taken < batch && p0.TryTake(out Packet packet))
                {
                    packet.Release();
                    taken++;
                }

                if (received < batch && receiveOne())
                {
                    received++;
                }
            }

            done += Math.Min(taken, received);
        }

        return done;
    }
}
