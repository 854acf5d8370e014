using System.Diagnostics;
using System.Runtime.CompilerServices;
using FastBridge.Frames;

namespace FastBridge.Switching;

/// <summary>
/// Per-port token buckets for the three kinds of flood — broadcast, multicast, unknown unicast — so that a loop or a
/// storming station cannot fill every other port (the storm control of hardware switches, in frames per second).
/// </summary>
/// <remarks>
/// Design: each bucket holds at most a tenth of a second of the limit (a short burst passes, a sustained storm does
/// not) and is refilled once per received burst from one timestamp read, not per frame.
/// Thread-safety: used only by the worker that owns the ingress port (the only one that receives from it); plain
/// fields.
/// </remarks>
internal sealed class StormControl
{
    private const int Kinds = 3;

    private readonly long _limit;
    private readonly long _depth;
    private readonly long[] _tokens = new long[Kinds];
    private long _stamp;
    private long _remainder;

    public StormControl(int framesPerSecond)
    {
        _limit = framesPerSecond;
        _depth = Math.Max(32, framesPerSecond / 10);
        _stamp = Stopwatch.GetTimestamp();
        _tokens.AsSpan().Fill(_depth);
    }

    /// <summary>Adds the tokens earned since the last refill (once per burst).</summary>
    public void Refill()
    {
        long now = Stopwatch.GetTimestamp();
        long elapsed = now - _stamp;
        if (elapsed <= 0)
        {
            return;
        }

        _stamp = now;
        if (elapsed > Stopwatch.Frequency)
        {
            elapsed = Stopwatch.Frequency; // a full second refills every bucket; also keeps the product below from overflowing
            _remainder = 0;
        }

        long scaled = (elapsed * _limit) + _remainder; // ticks * frames/s, in units of 1/Frequency frames
        long earned = scaled / Stopwatch.Frequency;
        _remainder = scaled % Stopwatch.Frequency;
        if (earned == 0)
        {
            return;
        }

        for (int k = 0; k < Kinds; k++)
        {
            _tokens[k] = Math.Min(_depth, _tokens[k] + earned);
        }
    }

    /// <summary>Takes a token for a flood of this class; false when the port is over its limit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryFlood(FrameClass frameClass)
    {
        // Unicast that floods is unknown unicast; broadcast and multicast have their own buckets.
        ref long tokens = ref _tokens[(int)frameClass];
        if (tokens <= 0)
        {
            return false;
        }

        tokens--;
        return true;
    }
}
