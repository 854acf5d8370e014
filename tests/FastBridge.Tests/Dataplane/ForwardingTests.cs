using FastBridge.Diagnostics;
using FastBridge.Frames;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Dataplane;

/// <summary>Forwarding decisions of a running bridge, observed through in-memory ports.</summary>
public sealed class ForwardingTests
{
    private static MacAddress A => Stations.Address(1);
    private static MacAddress B => Stations.Address(2);
    private static MacAddress C => Stations.Address(3);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Unknown_unicast_floods_to_every_other_port_but_never_back(int workers)
    {
        using var h = new BridgeHarness(4, workers);
        h.Inject(0, BridgeHarness.Frame(B, A, mark: 7));
        h.Settle();

        Assert.Empty(h.Drain(0));
        for (int p = 1; p < 4; p++)
        {
            byte[] got = Assert.Single(h.Drain(p));
            Assert.Equal(7, got[14]);
        }

        Assert.Equal(1, h.Bridge.ReadCounters().Flooded);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Known_unicast_goes_to_exactly_the_learned_port(int workers)
    {
        using var h = new BridgeHarness(4, workers);
        h.Inject(2, BridgeHarness.Frame(MacAddress.Broadcast, B)); // B announces itself on p2
        h.Settle();
        for (int p = 0; p < 4; p++)
        {
            h.Drain(p);
        }

        h.Inject(0, BridgeHarness.Frame(B, A, mark: 9));
        h.Settle();

        Assert.Empty(h.Drain(1));
        Assert.Empty(h.Drain(3));
        Assert.Empty(h.Drain(0));
        Assert.Equal(9, Assert.Single(h.Drain(2))[14]);
        Assert.Equal(2, h.Bridge.MacTable.Lookup(B.Value, 0));
        Assert.Equal(0, h.Bridge.MacTable.Lookup(A.Value, 0));
    }

    [Fact]
    public void Broadcast_and_multicast_flood()
    {
        using var h = new BridgeHarness(3);
        h.Inject(1, BridgeHarness.Frame(MacAddress.Broadcast, A));
        h.Inject(1, BridgeHarness.Frame(MacAddress.Parse("01:00:5e:00:00:01"), A));
        h.Inject(1, BridgeHarness.Frame(MacAddress.Parse("33:33:00:00:00:01"), A));
        h.Settle();

        Assert.Equal(3, h.Drain(0).Count);
        Assert.Equal(3, h.Drain(2).Count);
        Assert.Empty(h.Drain(1));
        Assert.Equal(3, h.Bridge.ReadCounters()["p1"]!.Flooded);
    }

    [Fact]
    public void Frame_to_a_station_on_its_own_ingress_port_is_filtered_and_counted()
    {
        using var h = new BridgeHarness(3);
        h.Inject(0, BridgeHarness.Frame(MacAddress.Broadcast, A));
        h.Inject(0, BridgeHarness.Frame(MacAddress.Broadcast, B)); // A and B both behind p0 (a hub)
        h.Settle();
        h.Drain(1);
        h.Drain(2);

        h.Inject(0, BridgeHarness.Frame(B, A));
        h.Settle();

        Assert.Empty(h.Drain(1));
        Assert.Empty(h.Drain(2));
        Assert.Equal(1, h.Bridge.ReadCounters()["p0"]!.Dropped(DropReason.SamePort));
    }

    [Fact]
    public void Malformed_frames_are_dropped_under_their_reason_and_never_learned()
    {
        using var h = new BridgeHarness(2);
        h.Inject(0, new byte[13]);                                                    // runt
        h.Inject(0, BridgeHarness.Frame(B, MacAddress.Parse("01:00:5e:00:00:01")));   // multicast source
        h.Inject(0, BridgeHarness.Frame(B, MacAddress.Broadcast));                    // broadcast source
        h.Inject(0, BridgeHarness.Frame(B, new MacAddress(0)));                        // zero source
        h.Settle();

        PortCounters p0 = h.Bridge.ReadCounters()["p0"]!;
        Assert.Equal(1, p0.Dropped(DropReason.Runt));
        Assert.Equal(3, p0.Dropped(DropReason.InvalidSource));
        Assert.Equal(0, p0.Forwarded);
        Assert.Empty(h.Drain(1));
        Assert.Equal(0, h.Bridge.MacTable.Count);
    }

    [Fact]
    public void A_station_that_moves_is_followed_and_the_move_counted()
    {
        using var h = new BridgeHarness(3);
        h.Inject(1, BridgeHarness.Frame(MacAddress.Broadcast, B));
        h.Settle();
        h.Inject(2, BridgeHarness.Frame(MacAddress.Broadcast, B)); // B moved to p2
        h.Settle();
        for (int p = 0; p < 3; p++)
        {
            h.Drain(p);
        }

        h.Inject(0, BridgeHarness.Frame(B, A));
        h.Settle();

        Assert.Single(h.Drain(2));
        Assert.Empty(h.Drain(1));
        Assert.Equal(1, h.Bridge.ReadCounters().Moved);
    }

    [Fact]
    public void A_lone_port_has_nowhere_to_flood_and_counts_it()
    {
        using var h = new BridgeHarness(1);
        h.Inject(0, BridgeHarness.Frame(MacAddress.Broadcast, A));
        h.Settle();
        Assert.Equal(1, h.Bridge.ReadCounters()["p0"]!.Dropped(DropReason.NoOutput));
    }

    [Fact]
    public void Tagged_frames_learn_per_vlan()
    {
        using var h = new BridgeHarness(3);
        byte[] tagged = new byte[64];
        MacAddress.Broadcast.WriteTo(tagged);
        A.WriteTo(tagged.AsSpan(6));
        tagged[12] = 0x81;
        tagged[13] = 0x00;
        tagged[14] = 0x00;
        tagged[15] = 10; // VLAN 10
        tagged[16] = 0x08;
        h.Inject(1, tagged);
        h.Settle();

        Assert.Equal(1, h.Bridge.MacTable.Lookup(A.Value, 10));
        Assert.Equal(-1, h.Bridge.MacTable.Lookup(A.Value, 0));
    }
}
