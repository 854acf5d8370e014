using FastBridge.Buffers;
using FastBridge.Diagnostics;

namespace FastBridge.Dataplane;

/// <summary>
/// The frame path of one burst, stage by stage in the order a frame meets them; each stage lives in its own file.
/// </summary>
internal sealed partial class Worker
{
    /// <summary>
    /// Switches the burst a benchmark or test put in place of a receive; the worker takes over the packets'
    /// references. Worker thread only (or a worker not started).
    /// </summary>
    internal void SwitchBurst(PortSlot ingress, ReadOnlySpan<Packet> burst)
    {
        burst.CopyTo(_rx);
        SwitchBurst(_view!, ingress, burst.Length);
    }

    /// <summary>Transmits what is queued for <paramref name="slot"/> (benchmarks and tests on a worker not started).</summary>
    internal int TransmitQueued(PortSlot slot) => Transmit(slot);

    /// <summary>Switches the first <paramref name="n"/> frames of <see cref="_rx"/>, received on <paramref name="ingress"/>.</summary>
    private void SwitchBurst(DataplaneView view, PortSlot ingress, int n)
    {
        CounterBlock c = ingress.Counters[Id];
        long rxBytes = Parse(n);                      // 1. receive + parse (Worker.Receive.cs)
        if (_captures is not null)                    // a live capture runs: copies of what came in (Worker.Capture.cs)
        {
            CaptureReceived(ingress.Id, n, c);
        }

        if (view.Mirrors is { } mirrors && MirrorReceived(view, mirrors, ingress, n, c))
        {
            // a mirror's output port: its input is ignored (Worker.Mirror.cs; rx mirror copies are staged there too)
        }
        else if (view.Policies is null)               // no port has VLANs or flags set: one branch per burst
        {
            Classify(view, ingress.Id, n, c);         // 2. learn (Worker.Learn.cs), 3. decide (Worker.Decide.cs)
            Act(view, ingress, n, c);                 // 4. flood policy (Worker.Flood.cs), 5. egress (Worker.Egress.cs)
        }
        else
        {
            ClassifyWithPolicy(view, ingress.Id, n, c); // the same stages asking each port's policy (Worker.Policy.cs)
            ActWithPolicy(view, ingress, n, c);
        }

        HandOff(view);

        // Received frames are counted last: a reader that sees them counted also sees every copy they produced
        // counted as offered to its output port (stores are not reordered with stores on x64; the volatile writes
        // say so for other memory models).
        Volatile.Write(ref c[Counter.RxBytes], c[Counter.RxBytes] + rxBytes);
        Volatile.Write(ref c[Counter.RxFrames], c[Counter.RxFrames] + n);
    }

    /// <summary>Learns each frame's source and decides where it goes, for the whole burst before any frame moves.</summary>
    private void Classify(DataplaneView view, int inId, int n, CounterBlock c)
    {
        Switching.MacTable table = view.Table;
        PortSlot?[] slots = view.Slots;
        Span<int> verdicts = _verdicts.AsSpan(0, n);
        Span<Frames.FrameInfo> infos = _infos.AsSpan(0, verdicts.Length); // spans: one bounds check per burst, not per frame
        BurstMemo memo = default; // this burst's last unchanged source and last destination (BurstMemo.cs)
        for (int i = 0; i < verdicts.Length; i++)
        {
            ref Frames.FrameInfo frame = ref infos[i];
            if (frame.Drop != DropReason.None)
            {
                verdicts[i] = Verdict.Drop(frame.Drop);
                continue;
            }

            Learn(table, ref frame, inId, c, ref memo);
            verdicts[i] = Decide(table, slots, ref frame, inId, ref memo);
        }
    }

    /// <summary>Carries out each frame's verdict: counts and releases a drop, stages a unicast, floods a flood.</summary>
    private void Act(DataplaneView view, PortSlot ingress, int n, CounterBlock c)
    {
        FloodPlan plan = PlanFloods(view, ingress);
        ReadOnlySpan<int> verdicts = _verdicts.AsSpan(0, n);
        ReadOnlySpan<Packet> rx = _rx.AsSpan(0, verdicts.Length);
        int unicast = 0; // counted once per burst: one store instead of a load, a bounds check and a store per frame
        for (int i = 0; i < verdicts.Length; i++)
        {
            int verdict = verdicts[i];
            if (verdict >= 0)
            {
                Stage(verdict, rx[i]);
                unicast++;
            }
            else if (verdict == Verdict.Flood)
            {
                Flood(in plan, rx[i], _infos[i].Class, c);
            }
            else
            {
                c.Drop(Verdict.ReasonOf(verdict));
                rx[i].Release();
            }
        }

        c[Counter.Forwarded] += unicast;
    }
}
