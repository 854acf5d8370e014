using CsCheck;
using FastBridge.Diagnostics;
using FastBridge.Frames;
using FastBridge.Ports;
using FastBridge.Switching;
using static FastBridge.Tests.Properties.ModelRig;

namespace FastBridge.Tests.Properties;

/// <summary>
/// Property: with random per-port VLAN modes and flags changed between frames, FastBridge sends each frame to exactly
/// the ports the reference bridge names, each copy tagged exactly as the reference says (priority bits kept), drops
/// the rest under the same reason, counts withheld flood copies on the right ports, flushes the same MAC entries on
/// VLAN changes, and its accounting balances.
/// </summary>
public sealed class PolicyModelTests
{
    private const int Stations = 5;

    private abstract record Op;

    /// <summary>Tag: -1 untagged, else the VID of an 802.1Q tag (0: priority tag).</summary>
    private sealed record FrameOp(int Ingress, int Src, int Dst, int Tag, byte Pcp) : Op;

    private sealed record PolicyOp(int Port, int Vlan, int Flags) : Op;

    private static readonly ReferencePolicy[] s_vlans =
    [
        new(),
        new("access", 10),
        new("access", 20),
        new("trunk", 0, [10, 20]),
        new("trunk", 20, [10]),
    ];

    private static readonly Gen<Op> s_op = Gen.Frequency<Op>(
        (20, Gen.Select(FrameEnds(Stations), Gen.OneOfConst(-1, -1, 0, 10, 20, 30), Gen.Int[0, 7])
            .Select(t => (Op)new FrameOp(t.Item1.Ingress, t.Item1.Src, t.Item1.Dst, t.Item2, (byte)t.Item3))),
        (3, Gen.Select(Gen.Int[0, PortCount - 1], Gen.Int[0, s_vlans.Length - 1], Gen.Int[0, 63], Gen.Int[0, 2])
            .Select(t => (Op)new PolicyOp(t.Item1, t.Item2, t.Item4 == 0 ? t.Item3 : 0))));

    [Fact]
    public void Vlan_modes_and_port_flags_match_the_reference_bridge_and_the_accounting_balances()
    {
        Sample(s_op, Run);
    }

    private static void Run(Op[] ops)
    {
        using var rig = new ModelRig();
        Bridge bridge = rig.Bridge;
        MemoryPort[] ports = rig.Ports;
        var model = new ReferenceBridge(PortCount);
        var drops = new long[PortCount, DropReasons.Count];
        var offered = new long[PortCount];
        var withheld = new long[PortCount];
        foreach (Op op in ops)
        {
            switch (op)
            {
                case PolicyOp po:
                    ReferencePolicy reference = s_vlans[po.Vlan] with
                    {
                        Learning = (po.Flags & 1) == 0,
                        FloodUnknown = (po.Flags & 2) == 0,
                        FloodMulticast = (po.Flags & 4) == 0,
                        FloodBroadcast = (po.Flags & 8) == 0,
                        Isolated = (po.Flags & 16) != 0,
                        Hairpin = (po.Flags & 32) != 0,
                    };
                    bridge.SetPortPolicy(ports[po.Port].Name, Engine(reference));
                    model.SetPolicy(po.Port, reference);
                    break;
                case FrameOp f:
                    byte[] frame = Build(f);
                    Dictionary<int, byte[]> got = rig.Switch(f.Ingress, frame);

                    var skipped = new List<int>();
                    Dictionary<int, int> expected = model.Forward(f.Ingress, Station(f.Src).Value, Destination(f.Dst).Value, f.Tag >= 0, Math.Max(f.Tag, 0), skipped, out DropReason drop);
                    Assert.Equal(expected.Keys.Order(), got.Keys.Order());
                    foreach ((int p, int tag) in expected)
                    {
                        byte[] want = tag == -1 ? frame : Build(f with { Tag = tag == 0 ? -1 : tag, Pcp = f.Tag >= 0 ? f.Pcp : (byte)0 });
                        Assert.True(want.AsSpan().SequenceEqual(got[p]), $"p{p}: expected tag {tag}, got {Convert.ToHexString(got[p].AsSpan(12, 4))}");
                        offered[p]++;
                    }

                    foreach (int p in skipped)
                    {
                        withheld[p]++;
                    }

                    if (drop != DropReason.None)
                    {
                        drops[f.Ingress, (int)drop]++;
                    }

                    break;
            }

            rig.AssertTableMatches(model, Stations, [0, 10, 20]);
        }

        for (int p = 0; p < PortCount; p++)
        {
            PortCounters c = rig.AssertAccounting(p, drops, offered);
            Assert.Equal(withheld[p], c[Counter.FloodWithheld]);
        }
    }

    private static PortPolicy Engine(ReferencePolicy r) => new()
    {
        Vlan = r.Mode switch
        {
            "access" => PortVlan.Access(r.Vid),
            "trunk" => PortVlan.Trunk(VlanSet.Of(r.Trunk!), r.Vid),
            _ => PortVlan.None,
        },
        Learning = r.Learning,
        FloodUnknown = r.FloodUnknown,
        FloodMulticast = r.FloodMulticast,
        FloodBroadcast = r.FloodBroadcast,
        Isolated = r.Isolated,
        Hairpin = r.Hairpin,
    };

    /// <summary>A 64-byte frame (68 with a tag) whose payload is the same whatever the tag, so retagged copies compare byte for byte.</summary>
    private static byte[] Build(FrameOp f)
    {
        int tagBytes = f.Tag >= 0 ? 4 : 0;
        var frame = new byte[64 + tagBytes];
        Destination(f.Dst).WriteTo(frame);
        Station(f.Src).WriteTo(frame.AsSpan(6));
        if (f.Tag >= 0)
        {
            frame[12] = 0x81;
            frame[13] = 0x00;
            frame[14] = (byte)((f.Pcp << 5) | (f.Tag >> 8));
            frame[15] = (byte)f.Tag;
        }

        frame[12 + tagBytes] = 0x08;
        frame[13 + tagBytes] = 0x00;
        for (int i = 14 + tagBytes; i < frame.Length; i++)
        {
            frame[i] = (byte)(i - tagBytes + f.Src);
        }

        return frame;
    }
}
