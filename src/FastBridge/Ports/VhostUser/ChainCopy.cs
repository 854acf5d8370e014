namespace FastBridge.Ports.VhostUser;

/// <summary>Copies between a chain of guest buffers and a (header, frame) pair seen as one byte stream.</summary>
/// <remarks>Safety: the segments were translated by <see cref="GuestMemory"/>, so each is wholly inside mapped memory.</remarks>
internal static unsafe class ChainCopy
{
    /// <summary>Reads the chain into <paramref name="header"/> then <paramref name="frame"/> (the chain holds exactly both).</summary>
    public static void Gather(ReadOnlySpan<BufferSegment> segments, Span<byte> header, Span<byte> frame)
    {
        int position = 0;
        foreach (BufferSegment segment in segments)
        {
            var source = new ReadOnlySpan<byte>((void*)segment.Address, (int)Math.Min(segment.Length, int.MaxValue));
            while (!source.IsEmpty)
            {
                Span<byte> target = position < header.Length ? header[position..] : frame[(position - header.Length)..];
                int n = Math.Min(target.Length, source.Length);
                if (n == 0)
                {
                    return;
                }

                source[..n].CopyTo(target);
                source = source[n..];
                position += n;
            }
        }
    }

    /// <summary>
    /// Writes stream bytes [<paramref name="from"/>, from + what fits) of (header, frame) into the chain; returns how
    /// many were written.
    /// </summary>
    public static int Scatter(ReadOnlySpan<BufferSegment> segments, ReadOnlySpan<byte> header, ReadOnlySpan<byte> frame, int from)
    {
        int position = from;
        int end = header.Length + frame.Length;
        foreach (BufferSegment segment in segments)
        {
            var target = new Span<byte>((void*)segment.Address, (int)Math.Min(segment.Length, int.MaxValue));
            while (!target.IsEmpty && position < end)
            {
                ReadOnlySpan<byte> source = position < header.Length ? header[position..] : frame[(position - header.Length)..];
                int n = Math.Min(target.Length, source.Length);
                source[..n].CopyTo(target);
                target = target[n..];
                position += n;
            }

            if (position == end)
            {
                break;
            }
        }

        return position - from;
    }

    /// <summary>Writes <paramref name="bytes"/> at byte <paramref name="offset"/> of the chain (as far as the chain reaches).</summary>
    public static void WriteAt(ReadOnlySpan<BufferSegment> segments, int offset, ReadOnlySpan<byte> bytes)
    {
        foreach (BufferSegment segment in segments)
        {
            var target = new Span<byte>((void*)segment.Address, (int)Math.Min(segment.Length, int.MaxValue));
            if (offset >= target.Length)
            {
                offset -= target.Length;
                continue;
            }

            int n = Math.Min(target.Length - offset, bytes.Length);
            bytes[..n].CopyTo(target[offset..]);
            bytes = bytes[n..];
            offset = 0;
            if (bytes.IsEmpty)
            {
                return;
            }
        }
    }
}
