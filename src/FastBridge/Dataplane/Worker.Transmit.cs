using FastBridge.Buffers;
using FastBridge.Diagnostics;

namespace FastBridge.Dataplane;

internal sealed partial class Worker
{
    /// <summary>Bursts taken from one inbound ring per pass, so one busy producer cannot starve the others.</summary>
    private const int MaxBurstsPerRing = 4;

    private readonly int[] _txIndex;
    private readonly Packet[] _txPackets;
    private readonly DropReason[] _txOutcome;

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

    /// <summary>Hands <c>_txPackets[..n]</c> to the port, counts each outcome and releases every frame.</summary>
    private void TransmitAndCount(PortSlot slot, int n, CounterBlock c)
    {
        slot.Port.Transmit(_txPackets.AsSpan(0, n), _txOutcome.AsSpan(0, n));
        for (int i = 0; i < n; i++)
        {
            DropReason outcome = _txOutcome[i];
            if (outcome == DropReason.None)
            {
                c.TxFrames++;
                c.TxBytes += _txPackets[i].Length;
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
}
