using FastBridge.Switching;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Mirroring;

/// <summary>Helpers of the mirror scenarios: a mirror of ports p<i>i</i> by number.</summary>
internal static class MirrorScenario
{
    public static void AddMirror(BridgeHarness h, string name, int[] from, int to, MirrorDirection direction = MirrorDirection.Both, int vlan = 0) =>
        h.Bridge.AddMirror(new Mirror { Name = name, Sources = [.. from.Select(p => $"p{p}")], Output = $"p{to}", Direction = direction, Vlan = vlan });

    /// <summary>The marks (payload byte 14 of an untagged frame, 18 of a tagged one) of the frames, in order.</summary>
    public static byte[] Marks(List<byte[]> frames) => [.. frames.Select(f => f[f[12] == 0x81 ? 18 : 14])];
}
