using System.Diagnostics;
using FastBridge.Diagnostics;
using FastBridge.Frames;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Dataplane;

/// <summary>Storm control: floods over a port's limit are dropped and counted, per flood kind; known unicast is not limited.</summary>
public sealed class StormControlTests
{
    private const int Limit = 100;      // frames per second, per kind
    private const int Depth = 32;       // max(32, Limit / 10): the burst a full bucket lets through

    [Fact]
    public void A_broadcast_storm_is_cut_to_the_limit_and_every_frame_is_accounted_for()
    {
        using var h = new BridgeHarness(3, configure: o => o.StormLimit = Limit, queueSize: 4096);
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < 1000; i++)
        {
            h.Inject(0, BridgeHarness.Frame(MacAddress.Broadcast, Stations.Address(1)));
        }

        h.Settle();
        double seconds = clock.Elapsed.TotalSeconds;
        PortCounters p0 = h.Bridge.ReadCounters()["p0"]!;

        Assert.Equal(1000, p0.RxFrames);
        Assert.Equal(1000, p0.Forwarded + p0.Dropped(DropReason.StormLimit));
        Assert.InRange(p0.Flooded, Depth, Depth + (long)Math.Ceiling(seconds * Limit) + 1);
        Assert.Equal(p0.Flooded, h.Drain(1).Count);
    }

    [Fact]
    public void Each_kind_of_flood_has_its_own_bucket_and_known_unicast_is_never_limited()
    {
        using var h = new BridgeHarness(3, configure: o => o.StormLimit = Limit, queueSize: 4096);
        MacAddress a = Stations.Address(1);
        MacAddress b = Stations.Address(2);
        for (int i = 0; i < 200; i++)
        {
            h.Inject(0, BridgeHarness.Frame(MacAddress.Broadcast, a)); // empties p0's broadcast bucket
        }

        h.Inject(1, BridgeHarness.Frame(MacAddress.Parse("01:00:5e:00:00:fb"), b)); // p1's own buckets are full
        h.Settle();
        PortCounters p1 = h.Bridge.ReadCounters()["p1"]!;
        Assert.Equal(1, p1.Flooded);

        h.Drain(1);
        h.Drain(2);
        h.Inject(0, BridgeHarness.Frame(MacAddress.Parse("01:00:5e:00:00:fb"), a)); // p0 multicast: its bucket is full
        for (int i = 0; i < 500; i++)
        {
            h.Inject(0, BridgeHarness.Frame(b, a)); // known unicast: not a flood
        }

        h.Settle();
        Assert.Equal(501, h.Drain(1).Count);
        Assert.Single(h.Drain(2));
    }

    [Fact]
    public void Zero_turns_storm_control_off()
    {
        using var h = new BridgeHarness(2, configure: o => o.StormLimit = 0, queueSize: 4096);
        for (int i = 0; i < 1000; i++)
        {
            h.Inject(0, BridgeHarness.Frame(MacAddress.Broadcast, Stations.Address(1)));
        }

        h.Settle();
        Assert.Equal(1000, h.Bridge.ReadCounters()["p0"]!.Flooded);
    }
}
