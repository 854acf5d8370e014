using CsCheck;
using FastBridge.Diagnostics;
using FastBridge.Switching;
using static FastBridge.Tests.Infrastructure.FrameBuilder;
using static FastBridge.Tests.Properties.ModelRig;

namespace FastBridge.Tests.Properties;

/// <summary>
/// Property: switching frames as one burst gives exactly what switching them one burst each gives: the same copies
/// to the same ports in the same order, the same counters on every port, the same MAC table. Bursts repeat sources
/// and destinations often (runs of one flow, as real bursts do), so the per-burst lookup memo (<c>BurstMemo</c>) is
/// used, and a small table and a per-port limit make learns move, evict and be refused within a burst; with VLAN
/// policies the memo is keyed by the VLAN the ingress port puts each frame in. The one-frame bursts are what the
/// reference-bridge properties (<see cref="BridgeModelTests"/>, <see cref="PolicyModelTests"/>) check.
/// </summary>
public sealed class BurstEquivalenceTests
{
    private const int Stations = 4;

    /// <summary>One frame of a burst. Tag: -1 untagged, else an 802.1Q VID. Dst as <see cref="ModelRig.Destination"/>.</summary>
    private sealed record FrameSpec(int Src, int Dst, int Tag);

    private sealed record BurstOp(int Ingress, FrameSpec[] Frames);

    private sealed record Setup(int MaxMacs, int MaxPerPort, bool Policies, int[] PortModes, BurstOp[] Bursts);

    private static readonly Gen<FrameSpec> s_frame =
        Gen.Select(Gen.Int[0, Stations - 1], Gen.Int[-1, Stations - 1], Gen.OneOfConst(-1, -1, 10), (s, d, t) => new FrameSpec(s, d, t));

    /// <summary>A burst of 1 to 24 frames where each frame repeats the one before it with probability 2/3.</summary>
    private static readonly Gen<BurstOp> s_burst = Gen.Select(Gen.Int[0, PortCount - 1], Gen.Select(s_frame, Gen.Int[0, 2]).Array[1, 24])
        .Select(t => new BurstOp(t.Item1, Repeat(t.Item2)));

    private static readonly Gen<Setup> s_setup = Gen.Select(
        Gen.OneOfConst(MacTable.DefaultCapacity, 3, 5), Gen.OneOfConst(0, 0, 2), Gen.Bool, Gen.Int[0, 3].Array[PortCount], s_burst.Array[1, 12])
        .Select(t => new Setup(t.Item1, t.Item2, t.Item3, t.Item4, t.Item5));

    [Fact]
    public void A_burst_switches_as_its_frames_would_one_by_one()
    {
        s_setup.Sample(Run, iter: 300);
    }

    private static void Run(Setup setup)
    {
        using var whole = new ModelRig(setup.MaxMacs, setup.MaxPerPort);
        using var single = new ModelRig(setup.MaxMacs, setup.MaxPerPort);
        if (setup.Policies)
        {
            for (int p = 0; p < PortCount; p++)
            {
                whole.Bridge.SetPortPolicy(whole.Ports[p].Name, Policy(setup.PortModes[p]));
                single.Bridge.SetPortPolicy(single.Ports[p].Name, Policy(setup.PortModes[p]));
            }
        }

        foreach (BurstOp burst in setup.Bursts)
        {
            byte[][] frames = [.. burst.Frames.Select(Build)];
            Dictionary<int, List<byte[]>> got = whole.SwitchBurst(burst.Ingress, frames);
            var want = new Dictionary<int, List<byte[]>>();
            foreach (byte[] frame in frames)
            {
                foreach ((int p, List<byte[]> sent) in single.SwitchBurst(burst.Ingress, [frame]))
                {
                    if (!want.TryGetValue(p, out List<byte[]>? list))
                    {
                        want[p] = list = [];
                    }

                    list.AddRange(sent);
                }
            }

            Assert.Equal(want.Keys.Order(), got.Keys.Order());
            foreach ((int p, List<byte[]> sent) in want)
            {
                Assert.Equal(sent, got[p]);
            }
        }

        BridgeCounters wholeCounters = whole.Bridge.ReadCounters(), singleCounters = single.Bridge.ReadCounters();
        for (int p = 0; p < PortCount; p++)
        {
            Assert.Equal(singleCounters[single.Ports[p].Name]!.Values, wholeCounters[whole.Ports[p].Name]!.Values);
        }

        Assert.Equal(Entries(single), Entries(whole));
    }

    /// <summary>Each frame of <paramref name="drawn"/> with its repeat flag 1 or 2 is a copy of the one before it.</summary>
    private static FrameSpec[] Repeat((FrameSpec Frame, int Repeat)[] drawn)
    {
        var frames = new FrameSpec[drawn.Length];
        for (int i = 0; i < drawn.Length; i++)
        {
            frames[i] = i > 0 && drawn[i].Repeat != 0 ? frames[i - 1] : drawn[i].Frame;
        }

        return frames;
    }

    private static PortPolicy Policy(int mode) => mode switch
    {
        0 => PortPolicy.Default,
        1 => new PortPolicy { Vlan = PortVlan.Access(10) },
        2 => new PortPolicy { Vlan = PortVlan.Trunk(VlanSet.Of(10), 20) },
        _ => new PortPolicy { Learning = false, Hairpin = true },
    };

    private static byte[] Build(FrameSpec f, int seed) => f.Tag < 0
        ? Untagged(Destination(f.Dst), Station(f.Src), seed: (byte)seed)
        : Tagged(Destination(f.Dst), Station(f.Src), (ushort)f.Tag, seed: (byte)seed);

    private static List<(ulong, ushort, int, bool)> Entries(ModelRig rig)
    {
        var entries = new List<MacEntry>();
        rig.Bridge.MacTable.CopyTo(entries);
        return [.. entries.Select(e => (e.Mac.Value, e.Vlan, e.Port, e.IsStatic)).Order()];
    }
}
