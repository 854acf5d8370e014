namespace FastBridge.Capture;

/// <summary>
/// One capture's end inside one worker: the capture's filter, this worker's ring of copies, and what the worker
/// matched and dropped per port. The worker offers it the frames it receives and sends; the capture's reader drains
/// the ring.
/// </summary>
/// <remarks>
/// Why one ring per worker: each worker is then the only producer of its ring (single-producer, no atomics), and one
/// busy worker cannot take another worker's room. Thread-safety: <see cref="Offer"/> and the counts are written by
/// the owning worker only; the reader reads the counts once the tap is detached and the workers passed a quiescent
/// point (<c>CaptureHub.Detach</c>), so the totals it reports are final.
/// </remarks>
internal sealed class CaptureTap
{
    private readonly long[] _matched;
    private readonly long[] _dropped;

    public CaptureTap(CaptureFilter filter, int ringBytes, int snaplen, int maxPorts)
    {
        Filter = filter;
        Ring = new CaptureRing(ringBytes);
        Snaplen = snaplen;
        _matched = new long[maxPorts];
        _dropped = new long[maxPorts];
    }

    public CaptureFilter Filter { get; }

    public CaptureRing Ring { get; }

    public int Snaplen { get; }

    /// <summary>
    /// Copies <paramref name="frame"/> into the ring when it matches the filter. Returns false only when it matched
    /// and the ring was full (the copy is dropped and counted; the caller counts it in the port's counters too).
    /// </summary>
    public bool Offer(int portId, CaptureDirection direction, long timestamp, ReadOnlySpan<byte> frame)
    {
        if (!Filter.Matches(portId, frame))
        {
            return true;
        }

        _matched[portId]++;
        if (Ring.TryWrite(new CaptureHeader(portId, direction, timestamp, frame.Length), frame, Snaplen))
        {
            return true;
        }

        _dropped[portId]++;
        return false;
    }

    /// <summary>Frames of port <paramref name="portId"/> that matched the filter on this worker.</summary>
    public long Matched(int portId) => Volatile.Read(ref _matched[portId]);

    /// <summary>Copies of port <paramref name="portId"/>'s frames this worker dropped because the ring was full.</summary>
    public long Dropped(int portId) => Volatile.Read(ref _dropped[portId]);
}
