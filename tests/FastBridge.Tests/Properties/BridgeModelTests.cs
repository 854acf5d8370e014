using CsCheck;
using FastBridge.Buffers;
using FastBridge.Dataplane;
using FastBridge.Diagnostics;
using FastBridge.Frames;
using FastBridge.Ports;

namespace FastBridge.Tests.Properties;

/// <summary>
/// Property: for any sequence of frames and table operations, FastBridge decides exactly what the reference learning
/// bridge decides, and its accounting balances: every received frame is forwarded or dropped at ingress under one
/// reason, and every copy offered to a port is transmitted or dropped at egress under one reason.
/// The worker is driven directly (not started), so each frame's outcome is known before the next one.
/// </summary>
public sealed class BridgeModelTests
{
    private const int PortCount = 4;
    private const int Stations = 6;

    private abstract record Op;

    private sealed record FrameOp(int Ingress, int Src, int Dst, ushort Vlan, int Malformed) : Op;

    private sealed record StaticOp(int Station, int Port, ushort Vlan) : Op;

    private sealed record RemoveMacOp(int Station, ushort Vlan) : Op;

    private sealed record FlushOp : Op;

    private sealed record RemovePortOp(int Port) : Op;

    private static readonly Gen<ushort> s_vlan = Gen.OneOfConst<ushort>(0, 0, 0, 10, 4094);

    private static readonly Gen<Op> s_op = Gen.Frequency<Op>(
        (30, Gen.Select(Gen.Int[0, PortCount - 1], Gen.Int[0, Stations - 1], Gen.Int[-2, Stations - 1], s_vlan, Gen.Int[0, 9])
            .Select(t => (Op)new FrameOp(t.Item1, t.Item2, t.Item3, t.Item4, t.Item5 < 8 ? 0 : t.Item5 - 7))),
        (2, Gen.Select(Gen.Int[0, Stations - 1], Gen.Int[0, PortCount - 1], s_vlan, (s, p, v) => (Op)new StaticOp(s, p, v))),
        (2, Gen.Select(Gen.Int[0, Stations - 1], s_vlan, (s, v) => (Op)new RemoveMacOp(s, v))),
        (1, Gen.Const<Op>(new FlushOp())),
        (1, Gen.Int[0, PortCount - 1].Select(p => (Op)new RemovePortOp(p))));

    [Fact]
    public void Decisions_match_the_reference_bridge_and_the_accounting_balances()
    {
        s_op.Array[1, 80].Sample(Run, iter: 300);
    }

    private static void Run(Op[] ops)
    {
        using var bridge = new Bridge(new BridgeOptions { Workers = 1, StormLimit = 0, PoolFrames = 1024 });
        var ports = new MemoryPort[PortCount];
        for (int p = 0; p < PortCount; p++)
        {
            ports[p] = new MemoryPort($"p{p}");
            bridge.AddPort(ports[p]);
        }

        var model = new ReferenceBridge(PortCount);
        Worker worker = bridge.Workers[0];
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
                    Assert.True(bridge.Pool.TryRentCopy(frame, out Packet packet));
                    worker.SwitchBurst(bridge.SlotOf(ports[f.Ingress])!, [packet]);
                    var outputs = new HashSet<int>();
                    for (int p = 0; p < PortCount; p++)
                    {
                        if (bridge.SlotOf(ports[p]) is { } slot)
                        {
                            worker.TransmitQueued(slot);
                            while (ports[p].TryTake(out Packet sent))
                            {
                                Assert.Equal(frame, sent.Span.ToArray());
                                sent.Release();
                                outputs.Add(p);
                            }
                        }
                    }

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

                    Assert.Equal(expected.Order(), outputs.Order());
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
                    AssertAccounting(bridge, ports[rp.Port].Name, rp.Port, expectedIngress, expectedDrops, expectedOffered);
                    Assert.True(bridge.RemovePort(ports[rp.Port].Name));
                    model.RemovePort(rp.Port);
                    break;
            }

            for (int s = 0; s < Stations; s++)
            {
                foreach (ushort vlan in new ushort[] { 0, 10, 4094 })
                {
                    int? want = model.PortOf(Station(s).Value, vlan);
                    int got = bridge.MacTable.Lookup(Station(s).Value, vlan);
                    Assert.Equal(want is { } port ? ports[port].Id : -1, got);
                }
            }
        }

        for (int p = 0; p < PortCount; p++)
        {
            if (model.Ports.Contains(p))
            {
                AssertAccounting(bridge, ports[p].Name, p, expectedIngress, expectedDrops, expectedOffered);
            }
        }
    }

    private static void AssertAccounting(Bridge bridge, string name, int p, long[] ingress, long[,] drops, long[] offered)
    {
        PortCounters c = bridge.ReadCounters()[name]!;
        Assert.Equal(ingress[p], c.RxFrames);
        Assert.Equal(c.RxFrames, c.Forwarded + c.IngressDrops);
        for (int r = 1; r < DropReasons.Count; r++)
        {
            if (DropReasons.IsIngress((DropReason)r))
            {
                Assert.True(drops[p, r] == c.Dropped((DropReason)r), $"{name} {(DropReason)r}: expected {drops[p, r]}, counted {c.Dropped((DropReason)r)}");
            }
        }

        Assert.Equal(offered[p], c.TxOffered);
        Assert.Equal(c.TxOffered, c.TxFrames + c.EgressDrops);
        Assert.Equal(0, c.EgressDrops);
    }

    private static MacAddress Station(int n) => Infrastructure.Stations.Address(n + 1);

    private static MacAddress Destination(int dst) => dst switch
    {
        -1 => MacAddress.Broadcast,
        -2 => MacAddress.Parse("01:00:5e:00:00:01"),
        _ => Station(dst),
    };

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
