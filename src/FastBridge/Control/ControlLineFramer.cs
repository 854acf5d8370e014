using System.Buffers;

namespace FastBridge.Control;

/// <summary>
/// Cuts a control connection's byte stream into request lines: split on <c>'\n'</c>, and a line longer than the limit
/// answered once with an error and skipped up to its newline (or to the end of the stream).
/// </summary>
/// <remarks>
/// Design: pure and socket-free, so that the fuzz target (tests/fuzz, <c>control</c>) drives exactly what
/// <see cref="ControlConnection"/> runs. The caller hands it what has arrived and not been consumed yet, calls
/// <see cref="Next"/> until <see cref="Cut.NeedMore"/>, then keeps <c>buffer</c> (from its start) for the next read:
/// with a PipeReader, <c>AdvanceTo(buffer.Start, buffer.End)</c>. The only state is whether the rest of an oversized
/// line is being skipped. Thread-safety: one caller at a time.
/// </remarks>
internal sealed class ControlLineFramer(int maxRequestBytes)
{
    private bool _discarding;

    /// <summary>What <see cref="Next"/> cut off.</summary>
    public enum Cut
    {
        /// <summary>No complete line left: read more (what is left of <c>buffer</c> is a partial line, or nothing).</summary>
        NeedMore,

        /// <summary>A complete line, without its newline: handle it.</summary>
        Line,

        /// <summary>A line over the limit (complete, or its first part): answer with an error, once per line.</summary>
        TooLong,
    }

    public int MaxRequestBytes { get; } = maxRequestBytes;

    /// <summary>
    /// Takes the next line off the front of <paramref name="buffer"/>. On <see cref="Cut.Line"/>,
    /// <paramref name="line"/> is the line; otherwise it is empty.
    /// </summary>
    public Cut Next(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> line)
    {
        while (buffer.PositionOf((byte)'\n') is { } newline)
        {
            line = buffer.Slice(0, newline);
            buffer = buffer.Slice(buffer.GetPosition(1, newline));
            if (_discarding)
            {
                _discarding = false; // the end of an oversized request
                continue;
            }

            return line.Length > MaxRequestBytes ? Cut.TooLong : Cut.Line;
        }

        line = default;
        if (!_discarding && buffer.Length > MaxRequestBytes)
        {
            _discarding = true;
            buffer = buffer.Slice(buffer.End);
            return Cut.TooLong;
        }

        if (_discarding)
        {
            buffer = buffer.Slice(buffer.End);
        }

        return Cut.NeedMore;
    }
}
