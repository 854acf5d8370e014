using System.Runtime.CompilerServices;
using FastBridge.Buffers;
using FastBridge.Diagnostics;
using FastBridge.Frames;
using FastBridge.Switching;

namespace FastBridge.Dataplane;

/// <summary>
/// Stage 4, flood policy: a frame to flood goes to every forwarding port but the one it came in on, unless there is no
/// such port (<see cref="DropReason.NoOutput"/>) or the ingress port is over its storm limit for that kind of flood
/// (<see cref="DropReason.StormLimit"/>, <see cref="StormControl"/>). One reference per copy; the copies are staged
/// like unicast frames.
/// </summary>
internal sealed partial class Worker
{
    /// <summary>Where this burst's floods go, worked out once per burst.</summary>
    private readonly struct FloodPlan(int[] ports, int inId, int targets, StormControl? storm)
    {
        public readonly int[] Ports = ports;
        public readonly int InId = inId;
        public readonly int Targets = targets;
        public readonly StormControl? Storm = storm;
    }

    private static FloodPlan PlanFloods(DataplaneView view, PortSlot ingress)
    {
        int[] flood = view.FloodList;
        int inId = ingress.Id;
        StormControl? storm = ingress.Storm;
        storm?.Refill(); // once per burst, from one timestamp
        return new FloodPlan(flood, inId, flood.Length - (Array.IndexOf(flood, inId) >= 0 ? 1 : 0), storm);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Flood(in FloodPlan plan, Packet packet, FrameClass frameClass, CounterBlock c)
    {
        if (plan.Targets == 0)
        {
            c.Drop(DropReason.NoOutput);
            packet.Release();
            return;
        }

        if (plan.Storm is { } storm && !storm.TryFlood(frameClass))
        {
            c.Drop(DropReason.StormLimit);
            packet.Release();
            return;
        }

        if (plan.Targets > 1)
        {
            packet.AddRef(plan.Targets - 1);
        }

        int[] ports = plan.Ports;
        for (int f = 0; f < ports.Length; f++)
        {
            if (ports[f] != plan.InId)
            {
                Stage(ports[f], packet);
            }
        }

        c[Counter.Forwarded]++;
        c[Counter.Flooded]++;
    }
}
