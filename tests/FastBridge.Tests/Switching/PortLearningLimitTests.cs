using FastBridge.Switching;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Switching;

/// <summary>The per-port learning limit on its own, over a bare set of port counts.</summary>
public class PortLearningLimitTests
{
    [Fact]
    public void No_limit_by_default_and_a_negative_one_is_rejected()
    {
        var limit = new PortLearningLimit();
        Assert.Equal(0, limit.Max);
        Assert.Equal(0, limit.CapFor(newStation: true));
        Assert.False(PortLearningLimit.Refuses(count: 1_000_000, cap: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => limit.Max = -1);
    }

    [Fact]
    public void New_stations_count_against_the_limit_and_moves_do_not()
    {
        var limit = new PortLearningLimit { Max = 10 };
        Assert.Equal(10, limit.CapFor(newStation: true));
        Assert.Equal(0, limit.CapFor(newStation: false));
        Assert.False(PortLearningLimit.Refuses(count: 9, cap: 10));
        Assert.True(PortLearningLimit.Refuses(count: 10, cap: 10));
        Assert.True(PortLearningLimit.Refuses(count: 11, cap: 10)); // over it through moves
    }

    [Fact]
    public void Admission_stops_at_the_limit_without_touching_the_count()
    {
        var counts = new PortCounts(allocateFirstChunk: true);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(i, PortLearningLimit.TryAdmit(counts, port: 7, cap: 3));
        }

        Assert.Equal(-1, PortLearningLimit.TryAdmit(counts, port: 7, cap: 3));
        Assert.Equal(3, counts.Get(7));
        Assert.Equal(3, PortLearningLimit.TryAdmit(counts, port: 7, cap: 0)); // a move passes
        Assert.Equal(0, PortLearningLimit.TryAdmit(counts, port: MacTable.MaxPort, cap: 3)); // beyond the first chunk
    }

    [Fact]
    public void Racing_admissions_on_one_port_never_overshoot()
    {
        const int Cap = 1000;
        var counts = new PortCounts(allocateFirstChunk: true);
        int admitted = 0;
        Action Admitter() => () =>
        {
            for (int i = 0; i < 10_000; i++)
            {
                if (PortLearningLimit.TryAdmit(counts, port: 1, cap: Cap) >= 0)
                {
                    Interlocked.Increment(ref admitted);
                }
            }
        };

        Concurrently.Run(Admitter(), Admitter(), Admitter(), Admitter());

        Assert.Equal(Cap, admitted);
        Assert.Equal(Cap, counts.Get(1));
    }
}
