using FastBridge.Diagnostics;
using FastBridge.Frames;
using FastBridge.Switching;
using FastBridge.Tests.Infrastructure;
using static FastBridge.Tests.Vlans.VlanScenario;

namespace FastBridge.Tests.Vlans;

/// <summary>The Linux bridge's per-port flags (learning, flood, mcast_flood, bcast_flood, isolated, hairpin) on a running bridge.</summary>
public sealed class PortPolicyTests
{
    private static MacAddress A => Stations.Address(1);
    private static MacAddress B => Stations.Address(2);
    private static readonly MacAddress s_multicast = MacAddress.Parse("01:00:5e:00:00:01");

    [Fact]
    public void Learning_off_learns_nothing_but_still_forwards_and_counts()
    {
        using var h = new BridgeHarness(3);
        Set(h, 0, new PortPolicy { Learning = false });
        h.Inject(0, BridgeHarness.Frame(MacAddress.Broadcast, A));
        h.Settle();

        Assert.Equal(-1, h.Bridge.MacTable.Lookup(A.Value, 0));
        Assert.Single(h.Drain(1));
        Assert.Equal(1, Count(h, 0, Counter.NotLearned));
        AssertExactAccounting(h);
    }

    [Theory]
    [InlineData("unknown")]
    [InlineData("multicast")]
    [InlineData("broadcast")]
    public void A_flood_flag_off_withholds_only_that_kind_of_flood_from_the_port(string kind)
    {
        using var h = new BridgeHarness(3);
        Set(h, 2, kind switch
        {
            "unknown" => new PortPolicy { FloodUnknown = false },
            "multicast" => new PortPolicy { FloodMulticast = false },
            _ => new PortPolicy { FloodBroadcast = false },
        });
        h.Inject(0, BridgeHarness.Frame(B, A, mark: 1));
        h.Inject(0, BridgeHarness.Frame(s_multicast, A, mark: 2));
        h.Inject(0, BridgeHarness.Frame(MacAddress.Broadcast, A, mark: 3));
        h.Settle();

        Assert.Equal(3, h.Drain(1).Count);
        byte withheld = kind switch { "unknown" => 1, "multicast" => 2, _ => 3 };
        List<byte[]> p2 = h.Drain(2);
        Assert.Equal(2, p2.Count);
        Assert.DoesNotContain(p2, f => f[14] == withheld);
        Assert.Equal(1, Count(h, 2, Counter.FloodWithheld));
        AssertExactAccounting(h);
    }

    [Fact]
    public void Known_unicast_still_reaches_a_port_with_flooding_off()
    {
        using var h = new BridgeHarness(3);
        Set(h, 1, new PortPolicy { FloodUnknown = false, FloodBroadcast = false, FloodMulticast = false });
        h.Inject(1, BridgeHarness.Frame(MacAddress.Broadcast, B));
        h.Settle();
        DrainAll(h);
        h.Inject(0, BridgeHarness.Frame(B, A, mark: 6));
        h.Settle();

        Assert.Equal(6, Assert.Single(h.Drain(1))[14]);
        AssertExactAccounting(h);
    }

    [Fact]
    public void A_flood_every_port_refuses_is_dropped_as_flood_refused()
    {
        using var h = new BridgeHarness(2);
        Set(h, 1, new PortPolicy { FloodBroadcast = false });
        h.Inject(0, BridgeHarness.Frame(MacAddress.Broadcast, A));
        h.Settle();

        Assert.Empty(h.Drain(1));
        Assert.Equal(1, Dropped(h, 0, DropReason.FloodRefused));
        AssertExactAccounting(h);
    }

    [Fact]
    public void Isolated_ports_never_talk_to_each_other_only_to_non_isolated_ones()
    {
        using var h = new BridgeHarness(3);
        Set(h, 0, new PortPolicy { Isolated = true });
        Set(h, 1, new PortPolicy { Isolated = true });
        h.Inject(0, BridgeHarness.Frame(MacAddress.Broadcast, A));
        h.Inject(1, BridgeHarness.Frame(MacAddress.Broadcast, B));
        h.Settle();
        Assert.Empty(h.Drain(0));
        Assert.Empty(h.Drain(1));
        Assert.Equal(2, h.Drain(2).Count);                                     // the uplink hears both

        h.Inject(0, BridgeHarness.Frame(B, A));                               // B is known behind isolated p1
        h.Inject(2, BridgeHarness.Frame(A, Stations.Address(3), mark: 9));    // uplink to isolated: fine
        h.Settle();
        Assert.Empty(h.Drain(1));
        Assert.Equal(9, Assert.Single(h.Drain(0))[14]);
        Assert.Equal(1, Dropped(h, 0, DropReason.Isolated));
        Assert.Equal(1, Count(h, 0, Counter.FloodWithheld));                   // p1's broadcast, withheld from p0
        Assert.Equal(1, Count(h, 1, Counter.FloodWithheld));                   // and p0's from p1
        AssertExactAccounting(h);
    }

    [Fact]
    public void Hairpin_sends_a_frame_back_out_of_the_port_it_came_in_on()
    {
        using var h = new BridgeHarness(2);
        h.Inject(0, BridgeHarness.Frame(MacAddress.Broadcast, A));
        h.Inject(0, BridgeHarness.Frame(MacAddress.Broadcast, B));
        h.Settle();
        DrainAll(h);
        h.Inject(0, BridgeHarness.Frame(B, A, mark: 1));                       // without hairpin: same-port
        h.Settle();
        Assert.Empty(h.Drain(0));
        Assert.Equal(1, Dropped(h, 0, DropReason.SamePort));

        Set(h, 0, new PortPolicy { Hairpin = true });
        h.Inject(0, BridgeHarness.Frame(B, A, mark: 2));                       // reflected
        h.Inject(0, BridgeHarness.Frame(MacAddress.Broadcast, A, mark: 3));    // a flood includes the ingress port
        h.Settle();
        List<byte[]> back = h.Drain(0);
        Assert.Equal([2, 3], back.Select(f => f[14]).ToArray());
        Assert.Single(h.Drain(1));
        AssertExactAccounting(h);
    }

    [Fact]
    public void Changing_a_ports_vlans_live_flushes_the_entries_it_no_longer_carries_and_takes_effect()
    {
        using var h = new BridgeHarness(3);
        Access(h, 0, 10);
        Access(h, 1, 10);
        Access(h, 2, 20);
        h.Inject(0, BridgeHarness.Frame(MacAddress.Broadcast, A));
        h.Bridge.MacTable.AddStatic(Stations.Address(9), 10, 0);
        h.Settle();
        DrainAll(h);
        Assert.Equal(0, h.Bridge.MacTable.Lookup(A.Value, 10));

        int flushed = h.Bridge.SetPortPolicy("p0", new PortPolicy { Vlan = PortVlan.Access(20) });

        Assert.Equal(1, flushed);                                              // the dynamic entry; the static one stays
        Assert.Equal(-1, h.Bridge.MacTable.Lookup(A.Value, 10));
        Assert.Equal(0, h.Bridge.MacTable.Lookup(Stations.Address(9).Value, 10));
        h.Inject(0, BridgeHarness.Frame(MacAddress.Broadcast, A, mark: 7));
        h.Settle();
        Assert.Empty(h.Drain(1));
        Assert.Equal(7, Assert.Single(h.Drain(2))[14]);
        Assert.Equal(0, h.Bridge.MacTable.Lookup(A.Value, 20));
        AssertExactAccounting(h);
    }

    [Fact]
    public void Back_to_default_policies_the_bridge_takes_its_fast_path_again_with_the_same_results()
    {
        using var h = new BridgeHarness(3);
        Set(h, 1, new PortPolicy { Isolated = true });
        Set(h, 1, PortPolicy.Default);
        h.Inject(0, BridgeHarness.Frame(MacAddress.Broadcast, A));
        h.Settle();
        Assert.Single(h.Drain(1));
        Assert.Single(h.Drain(2));
        AssertExactAccounting(h);
    }
}
