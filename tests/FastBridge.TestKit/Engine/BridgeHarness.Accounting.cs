using FastBridge.Diagnostics;
using FastBridge.Frames;

namespace FastBridge.Tests.Infrastructure;

/// <summary>The accounting checks and station frames that rigs built on a harness share.</summary>
internal sealed partial class BridgeHarness
{
    public PortCounters Counters(string name) => Bridge.ReadCounters().Ports.Single(p => p.Name == name);

    /// <summary>
    /// Waits until rx = forwarded + ingress drops and tx-offered = tx + egress drops on every port, and
    /// <paramref name="port"/> received at least <paramref name="minRx"/>; fails with every port's books otherwise.
    /// </summary>
    public void AssertAccounted(string port, long minRx = 0)
    {
        bool balanced = EndToEnd.WaitFor(() => Bridge.ReadCounters().Ports.All(Balanced) && Counters(port).RxFrames >= minRx, Timeout);
        Assert.True(balanced, string.Join("\n", Bridge.ReadCounters().Ports.Select(p =>
            $"{p.Name}: rx {p.RxFrames} fwd {p.Forwarded} in-drops {p.IngressDrops} offered {p.TxOffered} tx {p.TxFrames} out-drops {p.EgressDrops}")));
    }

    /// <summary>A 64-byte (or <paramref name="length"/>) frame from station <paramref name="from"/> to station <paramref name="to"/>.</summary>
    public static byte[] StationFrame(int to, int from, int length = 64, byte mark = 0) =>
        Frame(Stations.Address(to), Stations.Address(from), length, mark);

    /// <summary>A broadcast from station <paramref name="from"/>.</summary>
    public static byte[] StationBroadcast(int from, int length = 64) => Frame(MacAddress.Broadcast, Stations.Address(from), length);

    private static bool Balanced(PortCounters p) => p.RxFrames == p.Forwarded + p.IngressDrops && p.TxOffered == p.TxFrames + p.EgressDrops;
}
