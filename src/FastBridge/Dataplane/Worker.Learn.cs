using System.Runtime.CompilerServices;
using FastBridge.Diagnostics;
using FastBridge.Frames;
using FastBridge.Switching;

namespace FastBridge.Dataplane;

/// <summary>
/// Stage 2, learn: the frame's source MAC (in its VLAN) is now behind the ingress port. The table's defences (table
/// full, per-port limit, flap detection) answer with a <see cref="LearnResult"/>, counted here; whatever it says, the
/// frame itself goes on to the decision. Within a burst, a source learned already with nothing changed is not asked
/// again (<see cref="BurstMemo"/>).
/// </summary>
internal sealed partial class Worker
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Learn(MacTable table, ref FrameInfo frame, int inId, CounterBlock c, ref BurstMemo memo) =>
        Learn(table, frame.Source, frame.VlanId, inId, c, ref memo);

    /// <summary>
    /// Learns <paramref name="source"/> in <paramref name="vlan"/> (the VLAN the ingress port put the frame in), unless
    /// <paramref name="memo"/> says an earlier frame of this burst learned it and changed nothing (<see cref="BurstMemo"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Learn(MacTable table, ulong source, int vlan, int inId, CounterBlock c, ref BurstMemo memo)
    {
        ulong key = MacWords.MakeKey(source, (ushort)vlan);
        if (memo.LearnsNothing(key))
        {
            return;
        }

        memo.Learned(key, LearnAndCount(table, source, vlan, inId, c));
    }

    /// <summary>Asks the table and counts its answer.</summary>
    private static LearnResult LearnAndCount(MacTable table, ulong source, int vlan, int inId, CounterBlock c)
    {
        LearnResult result = table.Learn(source, (ushort)vlan, inId);
        switch (result)
        {
            case LearnResult.Learned:
                c[Counter.Learned]++;
                break;
            case LearnResult.Moved:
                c[Counter.Moved]++;
                break;
            case LearnResult.TableFull:
                c[Counter.TableFull]++;
                break;
            case LearnResult.LearnedEvicting:
                c[Counter.Learned]++;
                c[Counter.Evicted]++;
                break;
            case LearnResult.PortLimit:
                c[Counter.PortLimit]++;
                break;
            case LearnResult.MovedFlapping:
                c[Counter.Moved]++;
                c[Counter.Flaps]++;
                break;
        }

        return result;
    }
}
