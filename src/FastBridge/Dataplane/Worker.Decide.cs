using System.Runtime.CompilerServices;
using FastBridge.Diagnostics;
using FastBridge.Frames;
using FastBridge.Switching;

namespace FastBridge.Dataplane;

/// <summary>
/// Stage 3, decide: one verdict per frame, made for the whole burst before any frame moves (netmap VALE and Snabb
/// classify a batch first, then act): one output port, flood, or drop with a reason.
/// </summary>
internal sealed partial class Worker
{
    /// <summary>_verdicts[i]: the verdict on frame i of the burst (<see cref="Verdict"/>).</summary>
    private readonly int[] _verdicts;

    /// <summary>
    /// A known unicast destination on another port that still forwards goes to that port; one on the ingress port is
    /// dropped (<see cref="DropReason.SamePort"/>); everything else (broadcast, multicast, unknown or gone
    /// destination) floods. The lookup is <paramref name="memo"/>'s when an earlier frame of this burst asked it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Decide(MacTable table, PortSlot?[] slots, ref FrameInfo frame, int inId, ref BurstMemo memo)
    {
        if (frame.Class != FrameClass.Unicast)
        {
            return Verdict.Flood;
        }

        int dst = LookUp(table, frame.Destination, frame.VlanId, ref memo);
        if (dst == inId)
        {
            return Verdict.Drop(DropReason.SamePort);
        }

        return (uint)dst < (uint)slots.Length && slots[dst] is { Forwarding: true } ? dst : Verdict.Flood;
    }

    /// <summary>The port <paramref name="destination"/> in <paramref name="vlan"/> is behind (-1: unknown), from <paramref name="memo"/> when it has it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int LookUp(MacTable table, ulong destination, int vlan, ref BurstMemo memo)
    {
        ulong key = MacWords.MakeKey(destination, (ushort)vlan);
        if (!memo.TryGetDestination(key, out int dst))
        {
            dst = table.Lookup(destination, (ushort)vlan);
            memo.LookedUp(key, dst);
        }

        return dst;
    }

    /// <summary>A verdict is one int: a port id (&gt;= 0), <see cref="Flood"/>, or a drop reason encoded below -1.</summary>
    private static class Verdict
    {
        public const int Flood = -1;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Drop(DropReason reason) => -2 - (int)reason;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static DropReason ReasonOf(int verdict) => (DropReason)(-2 - verdict);
    }
}
