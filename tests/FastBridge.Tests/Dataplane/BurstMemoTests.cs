using FastBridge.Diagnostics;
using FastBridge.Frames;
using FastBridge.Tests.Properties;
using static FastBridge.Tests.Infrastructure.FrameBuilder;
using static FastBridge.Tests.Properties.ModelRig;

namespace FastBridge.Tests.Dataplane;

/// <summary>
/// The per-burst lookup memo (<c>BurstMemo</c>): within one burst, a frame whose source or destination repeats an
/// earlier frame's skips the MAC table, and must still get exactly the verdict and the counts it would get alone.
/// Each scenario is one burst in which an earlier frame changes what a later one must find; a memo that is not
/// forgotten when the burst's own learning changed the table, or that mixes VLANs, fails them.
/// </summary>
public sealed class BurstMemoTests
{
    private static readonly MacAddress s_a = Station(0), s_b = Station(1), s_c = Station(2);

    [Fact]
    public void A_destination_learned_earlier_in_the_burst_is_found_by_the_later_frames()
    {
        // config: B unknown. test: one burst on p0: A->B (floods), B->broadcast (B learned on p0; no lookup in
        // between), A->B again.
        using var rig = new ModelRig();
        Dictionary<int, List<byte[]>> got = rig.SwitchBurst(0, [Untagged(s_b, s_a, seed: 0), Untagged(MacAddress.Broadcast, s_b, seed: 1), Untagged(s_b, s_a, seed: 2)]);

        // verify: the third frame finds B on its own ingress port and is dropped, as it would be in a burst of its own.
        for (int p = 1; p < PortCount; p++)
        {
            Assert.Equal([0, 1], Seeds(got[p]));
        }

        PortCounters p0 = rig.Bridge.ReadCounters()[rig.Ports[0].Name]!;
        Assert.Equal(1, p0.Dropped(DropReason.SamePort));
        Assert.Equal(2, p0[Counter.Learned]);
        Assert.Equal(rig.Ports[0].Id, rig.Bridge.MacTable.Lookup(s_b.Value, 0));
    }

    [Fact]
    public void A_destination_that_moves_within_the_burst_is_followed()
    {
        // config: B known on p1. test: one burst on p0: A->B (to p1), B->broadcast (B moves to p0), A->B again.
        using var rig = new ModelRig();
        rig.Switch(1, Untagged(MacAddress.Broadcast, s_b));
        Dictionary<int, List<byte[]>> got = rig.SwitchBurst(0, [Untagged(s_b, s_a, seed: 0), Untagged(MacAddress.Broadcast, s_b, seed: 1), Untagged(s_b, s_a, seed: 2)]);

        // verify: after the move B is on the ingress port, so the third frame is dropped instead of reaching p1.
        Assert.Equal([0, 1], Seeds(got[1]));
        Assert.Equal([1], Seeds(got[2]));
        PortCounters p0 = rig.Bridge.ReadCounters()[rig.Ports[0].Name]!;
        Assert.Equal(1, p0[Counter.Moved]);
        Assert.Equal(1, p0.Dropped(DropReason.SamePort));
        Assert.Equal(2, p0[Counter.Forwarded]);
    }

    [Fact]
    public void The_same_addresses_in_two_vlans_are_two_memo_entries()
    {
        // config: B on p2 in VLAN 0 (untagged) and on p1 in VLAN 10. test: one burst on p0 alternating VLANs.
        using var rig = new ModelRig();
        rig.Switch(2, Untagged(MacAddress.Broadcast, s_b));
        rig.Switch(1, Tagged(MacAddress.Broadcast, s_b, 10));
        Dictionary<int, List<byte[]>> got = rig.SwitchBurst(0, [Untagged(s_b, s_a, seed: 0), Tagged(s_b, s_a, 10, seed: 1), Untagged(s_b, s_a, seed: 2), Tagged(s_b, s_a, 10, seed: 3)]);

        // verify: each frame goes where its VLAN's entry says, and A is learned once in each VLAN.
        Assert.Equal([0, 2], Seeds(got[2]));
        Assert.Equal([1, 3], Seeds(got[1]));
        Assert.Equal(2, rig.Bridge.ReadCounters()[rig.Ports[0].Name]![Counter.Learned]);
        Assert.Equal(rig.Ports[0].Id, rig.Bridge.MacTable.Lookup(s_a.Value, 0));
        Assert.Equal(rig.Ports[0].Id, rig.Bridge.MacTable.Lookup(s_a.Value, 10));
    }

    [Fact]
    public void A_refused_learn_is_counted_for_every_frame_of_the_burst()
    {
        // config: one MAC per port. test: one burst on p0: A, then B three times (B is over p0's limit each time).
        using var rig = new ModelRig(maxMacsPerPort: 1);
        byte[] fromA = Untagged(MacAddress.Broadcast, s_a), fromB = Untagged(MacAddress.Broadcast, s_b);
        rig.SwitchBurst(0, [fromA, fromB, fromB, fromB]);

        // verify: every refusal counted, as if each frame came in a burst of its own.
        PortCounters p0 = rig.Bridge.ReadCounters()[rig.Ports[0].Name]!;
        Assert.Equal(1, p0[Counter.Learned]);
        Assert.Equal(3, p0[Counter.PortLimit]);
        Assert.Equal(4, p0[Counter.Flooded]);
    }

    [Fact]
    public void A_destination_evicted_by_a_later_learn_of_the_burst_is_not_used()
    {
        // config: a table of two entries: A static on p0, B learned on p1. test: one burst on p0: A->B (to p1), C
        // (the table is full: C evicts B, the only dynamic entry of a port heavier than p0), A->B again.
        using var rig = new ModelRig(maxMacs: 2);
        Assert.True(rig.Bridge.MacTable.AddStatic(s_a, 0, rig.Ports[0].Id));
        rig.Switch(1, Untagged(MacAddress.Broadcast, s_b));
        rig.SwitchBurst(0, [Untagged(s_b, s_a, seed: 0), Untagged(MacAddress.Broadcast, s_c, seed: 1), Untagged(s_b, s_a, seed: 2)]);

        // verify: B is gone, so the third frame floods, as it would in a burst of its own.
        Assert.Equal(-1, rig.Bridge.MacTable.Lookup(s_b.Value, 0));
        PortCounters p0 = rig.Bridge.ReadCounters()[rig.Ports[0].Name]!;
        Assert.Equal(1, p0[Counter.Evicted]);
        Assert.Equal(2, p0[Counter.Flooded]);
        Assert.Equal(3, p0[Counter.Forwarded]);
    }

    /// <summary>The seeds (first payload byte, after the EtherType or the one tag) of <paramref name="frames"/>, in order.</summary>
    private static int[] Seeds(List<byte[]> frames) => [.. frames.Select(f => (int)f[f[12] == 0x81 ? 18 : 14])];
}
