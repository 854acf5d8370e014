using System.Diagnostics;
using System.Runtime.CompilerServices;
using FastBridge.Buffers;
using FastBridge.Capture;
using FastBridge.Diagnostics;

namespace FastBridge.Dataplane;

/// <summary>
/// Live capture on the frame path: copies of the frames a port receives (before any decision) and of those it sent
/// (after its Transmit accepted them) go into each running capture's ring for this worker. With no capture running
/// the stages pay one null check per burst; the copying lives here, out of line.
/// </summary>
/// <remarks>
/// Sent frames are stamped before the port's Transmit (a TAP write runs the receiving host's stack, so its answer can
/// arrive before the write returns) and copied after it, only those it accepted.
/// A full ring drops the copy and counts it under <see cref="Counter.CaptureDropped"/> for the port: the switched
/// frame is never held back or dropped for a capture. One timestamp per burst (frames of one burst share it).
/// </remarks>
internal sealed partial class Worker
{
    private CaptureTap[]? _captures;

    /// <summary>The taps of the captures running now, or null; only <see cref="CaptureHub"/> calls it.</summary>
    internal void UseCaptures(CaptureTap[]? taps) => Volatile.Write(ref _captures, taps);

    /// <summary>Offers the first <paramref name="n"/> received frames of the burst to every capture.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void CaptureReceived(int portId, int n, CounterBlock c)
    {
        CaptureTap[]? taps = Volatile.Read(ref _captures);
        if (taps is null)
        {
            return;
        }

        long now = CaptureTime();
        foreach (CaptureTap tap in taps)
        {
            if (!tap.Filter.Watches(portId))
            {
                continue;
            }

            for (int i = 0; i < n; i++)
            {
                if (!tap.Offer(portId, CaptureDirection.Inbound, now, _rx[i].Span))
                {
                    c[Counter.CaptureDropped]++;
                }
            }
        }
    }

    /// <summary>The time a capture records for a burst (out of line: only called while a capture runs).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static long CaptureTime() => Stopwatch.GetTimestamp();

    /// <summary>Offers the frames the port accepted for transmission (outcome None) to every capture.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void CaptureSent(int portId, ReadOnlySpan<Packet> frames, ReadOnlySpan<DropReason> outcome, long now, CounterBlock c)
    {
        CaptureTap[]? taps = Volatile.Read(ref _captures);
        if (taps is null)
        {
            return;
        }

        now = now != 0 ? now : CaptureTime(); // a capture that started during the Transmit
        foreach (CaptureTap tap in taps)
        {
            if (!tap.Filter.Watches(portId))
            {
                continue;
            }

            for (int i = 0; i < frames.Length; i++)
            {
                if (outcome[i] == DropReason.None && !tap.Offer(portId, CaptureDirection.Outbound, now, frames[i].Span))
                {
                    c[Counter.CaptureDropped]++;
                }
            }
        }
    }
}
