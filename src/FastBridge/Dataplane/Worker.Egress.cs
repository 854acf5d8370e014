using System.Runtime.CompilerServices;
using FastBridge.Buffers;
using FastBridge.Diagnostics;
using FastBridge.Ports;
using FastBridge.Rings;

namespace FastBridge.Dataplane;

/// <summary>
/// Stage 5, egress: frames are staged per destination while the burst is acted on, then each destination gets its
/// group in one step. A port that allows concurrent transmit gets them straight away from this worker (run to
/// completion, no ring); any other port gets them through this worker's ring towards it, drained by its owner. Frames
/// with pending offloads are finished (checksums filled, super-frames cut) on the way to a port that cannot take them.
/// </summary>
/// <remarks>
/// Performance: a staged copy is the frame's 4-byte pool index, not its 16-byte <see cref="Packet"/> (which holds the
/// pool reference, so every store of one is a GC write barrier): a flood stages one copy per port, and a ring takes
/// indices as they are. Only a concurrent-transmit port turns its group back into Packets, once, before Transmit
/// (perf/README.md, "Issue 8 reshape: before/after": Flood).
/// </remarks>
internal sealed partial class Worker
{
    /// <summary>Bursts taken from one inbound ring per pass, so one busy producer cannot starve the others.</summary>
    private const int MaxBurstsPerRing = 4;

    private readonly int[] _stage;        // [destination port * burst + k]: pool indices of the frames staged for that port (stale past the count: never read)
    private readonly int[] _stageCount;   // per destination port
    private readonly int[] _touched;      // destination ports with staged frames, in first-touch order
    private readonly bool[] _wakeWorkers; // workers to wake after handing off this burst
    private int _touchedCount;

    private readonly int[] _txIndex;
    private readonly Packet[] _txPackets;
    private readonly DropReason[] _txOutcome;

    /// <summary>Fills checksums and cuts super-frames for a port without offloads; made on first need.</summary>
    private OffloadFinisher? _finisher;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Stage(int port, Packet packet)
    {
        int count = _stageCount[port];
        if (count == 0)
        {
            _touched[_touchedCount++] = port;
        }

        _stage[(port * _burst) + count] = packet.Index; // every frame here is from _pool
        _stageCount[port] = count + 1;
    }

    /// <summary>
    /// Gives each destination its staged frames: transmitted now when the port allows concurrent transmit (perf/RESULTS.md:
    /// the ring hand-off to another worker and its wake-up cost 4x the round-trip time on 2 vCPUs), else moved into
    /// this worker's ring towards it with one call, counting what does not fit.
    /// </summary>
    private void HandOff(DataplaneView view)
    {
        PortSlot?[] slots = view.Slots;
        bool wakeAny = false;
        for (int t = 0; t < _touchedCount; t++)
        {
            int port = _touched[t];
            int count = _stageCount[port];
            _stageCount[port] = 0;
            Span<int> staged = _stage.AsSpan(port * _burst, count); // at most one copy per frame: count <= burst
            PortSlot slot = slots[port]!;
            if (view.Mirrors is not null)
            {
                MirrorSent(view, slot, staged, ref wakeAny); // tx mirrors of this port get their copies first (Worker.Mirror.cs)
            }

            wakeAny |= Give(slot, staged);
        }

        _touchedCount = 0;
        if (wakeAny)
        {
            WakeReceivers(view.Workers);
        }
    }

    /// <summary>
    /// Gives the frames of <paramref name="indices"/> (one reference each) to <paramref name="slot"/>'s port: transmitted
    /// now, or moved into this worker's ring towards it (what does not fit is dropped <c>ring-full</c>). True when its
    /// owner, another worker, must be woken.
    /// </summary>
    private bool Give(PortSlot slot, Span<int> indices)
    {
        int count = indices.Length;
        CounterBlock c = slot.Counters[Id];
        c[Counter.TxOffered] += count;
        if (slot.Port.ConcurrentTransmit)
        {
            TransmitAndCount(slot.Port, ToPackets(indices), c);
            return false;
        }

        int queued = slot.Inbound[Id].TryEnqueueMany(indices);
        for (int k = queued; k < count; k++)
        {
            c.Drop(DropReason.RingFull);
            _pool.Release(indices[k]);
        }

        if (queued > 0 && slot.Owner != Id)
        {
            _wakeWorkers[slot.Owner] = true;
            return true;
        }

        return false;
    }

    private void WakeReceivers(Worker[] workers)
    {
        // Pairs with the fence between "sleeping = 1" and the last pass in Run (Dekker handshake).
        Interlocked.MemoryBarrier();
        for (int w = 0; w < _wakeWorkers.Length; w++)
        {
            if (_wakeWorkers[w])
            {
                _wakeWorkers[w] = false;
                workers[w].WakeIfSleeping();
            }
        }
    }

    /// <summary>Transmits what every worker queued for <paramref name="slot"/>; returns frames taken off its rings.</summary>
    private int Transmit(PortSlot slot)
    {
        int moved = 0;
        CounterBlock c = slot.Counters[Id];
        for (int w = 0; w < slot.Inbound.Length; w++)
        {
            SpscRing ring = slot.Inbound[w];
            for (int b = 0; b < MaxBurstsPerRing; b++)
            {
                int n = ring.TryDequeueMany(_txIndex.AsSpan(0, _burst));
                if (n == 0)
                {
                    break;
                }

                TransmitAndCount(slot.Port, ToPackets(_txIndex.AsSpan(0, n)), c);
                moved += n;
                if (n < _burst)
                {
                    break;
                }
            }
        }

        return moved;
    }

    /// <summary>The frames of <paramref name="indices"/> (at most a burst) as Packets, for a port's Transmit.</summary>
    private Span<Packet> ToPackets(ReadOnlySpan<int> indices)
    {
        Span<Packet> frames = _txPackets.AsSpan(0, indices.Length);
        for (int i = 0; i < frames.Length; i++)
        {
            frames[i] = _pool.FromIndex(indices[i]);
        }

        return frames;
    }

    /// <summary>
    /// Hands <paramref name="frames"/> to the port — through the offload finisher when the port cannot take pending
    /// checksums or super-frames and some frame has them — counts each outcome, releases every frame and clears the
    /// span (so no stale handle outlives its reference).
    /// </summary>
    private void TransmitAndCount(Port port, Span<Packet> frames, CounterBlock c)
    {
        Span<DropReason> outcome = _txOutcome.AsSpan(0, frames.Length);
        outcome.Clear();
        long captureTime = _captures is null ? 0 : CaptureTime(); // before Transmit: a TAP write runs the receiver's stack, whose answer must not precede it
        if (port.AcceptsOffloads || !OffloadFinisher.AnyPending(frames))
        {
            port.Transmit(frames, outcome);
        }
        else
        {
            c[Counter.TxBytes] += FinishOffloads(port, frames, outcome, c);
        }

        if (_captures is not null) // a live capture runs: copies of what the port sent (Worker.Capture.cs)
        {
            CaptureSent(port.Id, frames, outcome, captureTime, c);
        }

        long sent = 0, sentBytes = 0; // counted once per call, not per frame
        for (int i = 0; i < frames.Length; i++)
        {
            if (outcome[i] == DropReason.None)
            {
                sent++;
                sentBytes += frames[i].Length;
            }
            else
            {
                c.Drop(outcome[i]);
            }
        }

        c[Counter.TxFrames] += sent;
        c[Counter.TxBytes] += sentBytes;
        _pool.ReleaseAll(frames); // every frame here is from _pool
        frames.Clear();
    }

    /// <summary>Transmits the burst through the finisher; returns the TxBytes correction (bytes on the wire minus frame lengths) and counts what it finished.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private long FinishOffloads(Port port, ReadOnlySpan<Packet> frames, Span<DropReason> outcome, CounterBlock c)
    {
        _finisher ??= new OffloadFinisher(_pool); // once per worker, on the first offloaded frame
        long segmented = _finisher.SuperFramesSegmented, segments = _finisher.SegmentsMade, filled = _finisher.ChecksumsFilled;
        long correction = _finisher.Transmit(port, frames, outcome);
        c[Counter.TxSegmented] += _finisher.SuperFramesSegmented - segmented;
        c[Counter.TxSegments] += _finisher.SegmentsMade - segments;
        c[Counter.TxChecksumsFilled] += _finisher.ChecksumsFilled - filled;
        return correction;
    }
}
