using System.Runtime.CompilerServices;
using FastBridge.Buffers;
using FastBridge.Diagnostics;
using FastBridge.Offloads;
using FastBridge.Ports;

namespace FastBridge.Dataplane;

internal sealed partial class Worker
{
    /// <summary>Bursts taken from one inbound ring per pass, so one busy producer cannot starve the others.</summary>
    private const int MaxBurstsPerRing = 4;

    private readonly int[] _txIndex;
    private readonly Packet[] _txPackets;
    private readonly DropReason[] _txOutcome;

    /// <summary>Fills checksums and cuts super-frames for a port without offloads; made on first need.</summary>
    private OffloadFinisher? _finisher;

    /// <summary>
    /// Run to completion: transmits frames this worker just switched towards a port that allows concurrent transmit,
    /// counting them in this worker's block for that port (perf/RESULTS.md: the ring hand-off to another worker and its
    /// wake-up cost 4x the round-trip time on 2 vCPUs).
    /// </summary>
    private void TransmitNow(PortSlot slot, ReadOnlySpan<int> staged, CounterBlock c)
    {
        for (int start = 0; start < staged.Length; start += _burst)
        {
            int n = Math.Min(_burst, staged.Length - start);
            for (int i = 0; i < n; i++)
            {
                _txPackets[i] = _pool.FromIndex(staged[start + i]);
                _txOutcome[i] = DropReason.None;
            }

            TransmitAndCount(slot, n, c);
        }
    }

    /// <summary>
    /// Hands <c>_txPackets[..n]</c> to the port — through the offload finisher when the port cannot take pending
    /// checksums or super-frames and some frame has them — counts each outcome and releases every frame.
    /// </summary>
    private void TransmitAndCount(PortSlot slot, int n, CounterBlock c)
    {
        if (slot.Port.AcceptsOffloads || !OffloadFinisher.AnyPending(_txPackets.AsSpan(0, n)))
        {
            slot.Port.Transmit(_txPackets.AsSpan(0, n), _txOutcome.AsSpan(0, n));
        }
        else
        {
            c[Counter.TxBytes] += FinishOffloads(slot.Port, n, c);
        }

        for (int i = 0; i < n; i++)
        {
            DropReason outcome = _txOutcome[i];
            if (outcome == DropReason.None)
            {
                c[Counter.TxFrames]++;
                c[Counter.TxBytes] += _txPackets[i].Length;
            }
            else
            {
                c.Drop(outcome);
            }

            _txPackets[i].Release();
            _txPackets[i] = default;
        }
    }

    /// <summary>Transmits what every worker queued for <paramref name="slot"/>; returns frames taken off its rings.</summary>
    private int Transmit(PortSlot slot)
    {
        int moved = 0;
        CounterBlock c = slot.Counters[Id];
        for (int w = 0; w < slot.Inbound.Length; w++)
        {
            Rings.SpscRing ring = slot.Inbound[w];
            for (int b = 0; b < MaxBurstsPerRing; b++)
            {
                int n = ring.TryDequeueMany(_txIndex.AsSpan(0, _burst));
                if (n == 0)
                {
                    break;
                }

                for (int i = 0; i < n; i++)
                {
                    _txPackets[i] = _pool.FromIndex(_txIndex[i]);
                    _txOutcome[i] = DropReason.None;
                }

                TransmitAndCount(slot, n, c);
                moved += n;
                if (n < _burst)
                {
                    break;
                }
            }
        }

        return moved;
    }

    /// <summary>Transmits the burst through the finisher; returns the TxBytes correction (bytes on the wire minus frame lengths) and counts what it finished.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private long FinishOffloads(Port port, int n, CounterBlock c)
    {
        _finisher ??= new OffloadFinisher(_pool); // once per worker, on the first offloaded frame
        long segmented = _finisher.SuperFramesSegmented, segments = _finisher.SegmentsMade, filled = _finisher.ChecksumsFilled;
        long correction = _finisher.Transmit(port, _txPackets.AsSpan(0, n), _txOutcome.AsSpan(0, n));
        c[Counter.TxSegmented] += _finisher.SuperFramesSegmented - segmented;
        c[Counter.TxSegments] += _finisher.SegmentsMade - segments;
        c[Counter.TxChecksumsFilled] += _finisher.ChecksumsFilled - filled;
        return correction;
    }
}
