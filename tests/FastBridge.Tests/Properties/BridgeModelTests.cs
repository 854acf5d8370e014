using CsCheck;
using FastBridge.Diagnostics;
using FastBridge.Frames;
using FastBridge.Ports;
using static FastBridge.Tests.Properties.ModelRig;

namespace FastBridge.Tests.Properties;

/// <summary>
/// Property: for any sequence of frames and table operations, FastBridge decides exactly what the reference learning
/// bridge decides, and its accounting balances: every received frame is forwarded or dropped at ingress under one
/// reason, and every copy offered to a port is transmitted or dropped at egress under one reason.
/// The worker is driven directly (not started), so each frame's outcome is known before the next one.
/// </summary>
public sealed class BridgeModelTests
{
    private const int Stations = 6;

    private abstract record Op;

    private sealed record FrameOp(int Ingress, int Src, int Dst, ushort Vlan, int Malformed) : Op;

    private sealed record StaticOp(int Station, int Port, ushort Vlan) : Op;

    private sealed record RemoveMacOp(int Station, ushort Vlan) : Op;

    private sealed record FlushOp : Op;

    private sealed record RemovePortOp(int Port) : Op;

    private static readonly Gen<ushort> s_vlan = Gen.OneOfConst<ushort>(0, 0, 0, 10, 4094);

    private static readonly Gen<Op> s_op = Gen.Frequency<Op>(
        (30, Gen.Select(FrameEnds(Stations), s_vlan, Gen.Int[0, 9])
            .Select(t => (Op)new FrameOp(t.Item1.Ingress, t.Item1.Src, t.Item1.Dst, t.Item2, t.Item3 < 8 ? 0 : t.Item3 - 7))),
        (2, Gen.Select(Gen.Int[0, Stations - 1], Gen.Int[0, PortCount - 1], s_vlan, (s, p, v) => (Op)new StaticOp(s, p, v))),
        (2, Gen.Select(Gen.Int[0, Stations - 1], s_vlan, (s, v) => (Op)new RemoveMacOp(s, v))),
        (1, Gen.Const<Op>(new FlushOp())),
        (1, Gen.Int[0, PortCount - 1].Select(p => (Op)new RemovePortOp(p))));

    [Fact]
    public void Decisions_match_the_reference_bridge_and_the_accounting_balances()
    {
        Sample(s_op, Run);
    }

    private static void Run(Op[] ops)
    {
        using var rig = new ModelRig();
        Bridge bridge = rig.Bridge;
        MemoryPort[] ports = rig.Ports;
        var model = new ReferenceBridge(PortCount);
        var expectedIngress = new long[PortCount];
        var expectedDrops = new long[PortCount, DropReasons.Count];
        var expectedOffered = new long[PortCount];

        foreach (Op op in ops)
        {
            switch (op)
            {
                case FrameOp f when !model.Ports.Contains(f.Ingress):
                    break;
                case FrameOp f:
                    byte[] frame = Build(f);
                    Dictionary<int, byte[]> outputs = rig.Switch(f.Ingress, frame);
                    Assert.All(outputs.Values, sent => Assert.Equal(frame, sent));

                    expectedIngress[f.Ingress]++;
                    HashSet<int> expected;
                    if (f.Malformed != 0)
                    {
                        expected = [];
                        expectedDrops[f.Ingress, (int)(f.Malformed == 1 ? DropReason.Runt : DropReason.InvalidSource)]++;
                    }
                    else
                    {
                        expected = model.Forward(f.Ingress, Station(f.Src).Value, Destination(f.Dst).Value, f.Vlan, out bool filtered);
                        if (expected.Count == 0)
                        {
                            expectedDrops[f.Ingress, (int)(filtered ? DropReason.SamePort : DropReason.NoOutput)]++;
                        }

                        foreach (int p in expected)
                        {
                            expectedOffered[p]++;
                        }
                    }

                    Assert.Equal(expected.Order(), outputs.Keys.Order());
                    break;
                case StaticOp s when model.Ports.Contains(s.Port):
                    Assert.True(bridge.MacTable.AddStatic(Station(s.Station), s.Vlan, ports[s.Port].Id));
                    model.AddStatic(Station(s.Station).Value, s.Vlan, s.Port);
                    break;
                case RemoveMacOp r:
                    bridge.MacTable.Remove(Station(r.Station), r.Vlan);
                    model.Remove(Station(r.Station).Value, r.Vlan);
                    break;
                case FlushOp:
                    bridge.MacTable.Flush();
                    model.FlushDynamic();
                    break;
                case RemovePortOp rp when model.Ports.Contains(rp.Port) && model.Ports.Count > 1:
                    AssertAccounting(rig, rp.Port, expectedIngress, expectedDrops, expectedOffered);
                    Assert.True(bridge.RemovePort(ports[rp.Port].Name));
                    model.RemovePort(rp.Port);
                    break;
            }

            rig.AssertTableMatches(model, Stations, [0, 10, 4094]);
        }

        for (int p = 0; p < PortCount; p++)
        {
            if (model.Ports.Contains(p))
            {
                AssertAccounting(rig, p, expectedIngress, expectedDrops, expectedOffered);
            }
        }
    }

    private static void AssertAccounting(ModelRig rig, int p, long[] ingress, long[,] drops, long[] offered)
    {
        PortCounters c = rig.AssertAccounting(p, drops, offered);
        Assert.Equal(ingress[p], c.RxFrames);
        Assert.Equal(0, c.EgressDrops);
    }

    private static byte[] Build(FrameOp f)
    {
        if (f.Malformed == 1)
        {
            return new byte[f.Src + 1]; // 1..6 bytes: a runt
        }

        var frame = new byte[64];
        Destination(f.Dst).WriteTo(frame);
        (f.Malformed == 2 ? MacAddress.Parse("01:00:00:00:00:01") : Station(f.Src)).WriteTo(frame.AsSpan(6));
        int at = 12;
        if (f.Vlan != 0)
        {
            frame[12] = 0x81;
            frame[13] = 0x00;
            frame[14] = (byte)(f.Vlan >> 8);
            frame[15] = (byte)f.Vlan;
            at = 16;
        }

        frame[at] = 0x08;
        frame[at + 1] = 0x00;
        return frame;
    }
}
