using FastBridge.Diagnostics;
using FastBridge.Frames;
using FastBridge.Ports;
using FastBridge.Switching;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Mirroring;

/// <summary>
/// What mirrors must never do: slow or starve the mirrored ports; and what the bridge does when their ports go away or
/// the request makes no sense.
/// </summary>
public sealed class MirrorLimitsTests
{
    private static MacAddress A => Stations.Address(1);

    [Fact]
    public void A_slow_output_port_drops_copies_never_the_mirrored_frames_and_the_counts_add_up()
    {
        using var bridge = new Bridge(new BridgeOptions { Workers = 2, PoolFrames = 8192 });
        var source = new MemoryPort("src", 1024);
        var peer = new MemoryPort("peer", 1024);
        var slow = new MemoryPort("slow", 4); // nobody reads it: it holds 4 frames
        bridge.AddPort(source);
        bridge.AddPort(peer);
        bridge.AddPort(slow);
        bridge.AddMirror(new Mirror { Name = "m", Sources = ["src"], Output = "slow" });
        bridge.Start();
        const int Frames = 200;
        for (int i = 0; i < Frames; i++)
        {
            Assert.True(source.TryInject(BridgeHarness.Frame(MacAddress.Broadcast, A, mark: (byte)i)));
        }

        Assert.True(EndToEnd.WaitFor(() =>
        {
            PortCounters p = bridge.ReadCounters()["slow"]!;
            return peer.Pending == Frames && p.TxOffered == Frames && p.TxOffered == p.TxFrames + p.EgressDrops;
        }, BridgeHarness.Timeout), "the copies were not all offered");

        BridgeCounters counters = bridge.ReadCounters();
        PortCounters output = counters["slow"]!;
        Assert.Equal(Frames, counters["src"]![Counter.Mirrored]);
        Assert.Equal(4, output.TxFrames);
        Assert.Equal(Frames - 4, output.Dropped(DropReason.RingFull));
        Assert.Equal(Frames, counters["peer"]!.TxFrames);
        Assert.Equal(0, counters["peer"]!.EgressDrops);
        Assert.Equal(counters["src"]!.RxFrames, counters["src"]!.Forwarded + counters["src"]!.IngressDrops);
    }

    [Fact]
    public void A_removed_source_leaves_the_mirror_and_a_removed_output_disables_it()
    {
        using var h = new BridgeHarness(4);
        MirrorScenario.AddMirror(h, "m", [0, 1], 3);
        h.Bridge.RemovePort("p0");
        Mirror mirror = Assert.Single(h.Bridge.Mirrors);
        Assert.Equal(["p1"], mirror.Sources);
        Assert.Null(mirror.Disabled);

        h.Bridge.RemovePort("p3");
        mirror = Assert.Single(h.Bridge.Mirrors);
        Assert.Contains("output port p3 was removed", mirror.Disabled, StringComparison.Ordinal);
        h.Inject(1, BridgeHarness.Frame(MacAddress.Broadcast, A, mark: 1));
        h.Settle();
        Assert.Equal(0, h.Bridge.ReadCounters()["p1"]![Counter.Mirrored]);
        Assert.Single(h.Drain(2));
        Assert.True(h.Bridge.RemoveMirror("m"));
    }

    [Theory]
    [InlineData("m", "p0", "p9", 0, "no port named 'p9'")]
    [InlineData("m", "p0,p1", "p1", 0, "port 'p1' cannot be both a source and the output")]
    [InlineData("m", "p0", "p2", 4095, "VLAN 4095 is out of range (1 to 4094)")]
    [InlineData("taken", "p0", "p2", 0, "a mirror named 'taken' already exists")]
    [InlineData("m", "p3", "p1", 0, "port 'p3' is the output of mirror 'taken', so it cannot be a source")]
    [InlineData("m", "p1", "p0", 0, "port 'p0' is a source of mirror 'taken', so it cannot be an output")]
    public void A_mirror_that_makes_no_sense_is_refused_in_the_users_words(string name, string from, string to, int vlan, string error)
    {
        using var h = new BridgeHarness(4);
        MirrorScenario.AddMirror(h, "taken", [0], 3);
        Exception e = Assert.ThrowsAny<Exception>(() =>
            h.Bridge.AddMirror(new Mirror { Name = name, Sources = from.Split(','), Output = to, Vlan = vlan }));
        Assert.Contains(error, e.Message, StringComparison.Ordinal);
        Assert.Single(h.Bridge.Mirrors);
    }
}
