using FastBridge.Diagnostics;
using FastBridge.Frames;
using FastBridge.Switching;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Vlans;

/// <summary>Helpers shared by the VLAN and port-policy scenarios: setting policies, reading tags, exact accounting.</summary>
internal static class VlanScenario
{
    public static void Set(BridgeHarness h, int port, PortPolicy policy) => h.Bridge.SetPortPolicy($"p{port}", policy);

    public static void Access(BridgeHarness h, int port, int vid) => Set(h, port, new PortPolicy { Vlan = PortVlan.Access(vid) });

    public static void Trunk(BridgeHarness h, int port, string vids, int native = 0)
    {
        Assert.True(VlanSet.TryParse(vids, out VlanSet? set, out string? error), error);
        Set(h, port, new PortPolicy { Vlan = PortVlan.Trunk(set, native) });
    }

    public static FrameInfo Parse(byte[] frame)
    {
        FrameParser.Parse(frame, out FrameInfo info);
        return info;
    }

    /// <summary>rx = forwarded + ingress drops and tx-offered = tx + egress drops, on every port.</summary>
    public static void AssertExactAccounting(BridgeHarness h)
    {
        foreach (PortCounters port in h.Bridge.ReadCounters().Ports)
        {
            Assert.Equal(port.RxFrames, port.Forwarded + port.IngressDrops);
            Assert.Equal(port.TxOffered, port.TxFrames + port.EgressDrops);
        }
    }

    public static long Dropped(BridgeHarness h, int port, DropReason reason) => h.Bridge.ReadCounters()[$"p{port}"]!.Dropped(reason);

    public static long Count(BridgeHarness h, int port, Counter counter) => h.Bridge.ReadCounters()[$"p{port}"]![counter];

    public static void DrainAll(BridgeHarness h)
    {
        for (int p = 0; p < h.Ports.Length; p++)
        {
            h.Drain(p);
        }
    }
}
