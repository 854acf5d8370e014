using System.Diagnostics;
using System.Globalization;

namespace FastBridge.Capture;

/// <summary>
/// One running capture: its filter, one tap (ring) per worker, and the reader's side: draining the rings oldest
/// frame first into records of the capture stream (<see cref="CaptureWire"/>), announcing each port before its first
/// frame, stopping at the frame count asked for, and the totals per port at the end.
/// </summary>
/// <remarks>
/// Why a ring per capture (not one shared ring with a subscriber mask): each capture has its own filter, snap length
/// and reader speed; a slow reader then drops only its own copies, and a narrow capture never pays for a wide one's
/// copies. Several captures cost one copy per capture per frame they select.
/// Thread-safety: <see cref="Drain"/> and <see cref="Totals"/> run on one reader thread at a time; the taps' producers
/// are the workers. Timestamps are taken by the workers from <see cref="Stopwatch"/> (monotonic) and turned into wall
/// clock time here, from one pairing of the two clocks made when the capture started.
/// </remarks>
internal sealed class CaptureSession
{
    private readonly long _count;
    private readonly long _startTicks;
    private readonly long _startUnixNanoseconds;
    private readonly string?[] _announced;

    /// <param name="filter">Which frames.</param>
    /// <param name="workers">One tap per worker.</param>
    /// <param name="ringBytes">Bytes of each worker's ring (a power of two).</param>
    /// <param name="snaplen">Bytes kept of each frame.</param>
    /// <param name="maxPorts">Highest port id + 1.</param>
    /// <param name="count">Frames to deliver before the capture ends by itself; 0 for no limit.</param>
    public CaptureSession(CaptureFilter filter, int workers, int ringBytes, int snaplen, long count, int maxPorts)
    {
        Filter = filter;
        Snaplen = snaplen;
        _count = count;
        Taps = new CaptureTap[workers];
        for (int w = 0; w < workers; w++)
        {
            Taps[w] = new CaptureTap(filter, ringBytes, snaplen, maxPorts);
        }

        _announced = new string?[maxPorts];
        _startTicks = Stopwatch.GetTimestamp();
        _startUnixNanoseconds = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
    }

    public CaptureFilter Filter { get; }

    public int Snaplen { get; }

    /// <summary>Taps[w]: worker w's ring and counts.</summary>
    public CaptureTap[] Taps { get; }

    /// <summary>Frames put into the stream so far.</summary>
    public long Delivered { get; private set; }

    /// <summary>The frame count asked for was delivered.</summary>
    public bool Done => _count > 0 && Delivered >= _count;

    /// <summary>The biggest record <see cref="Drain"/> may need room for (a batch must hold at least this).</summary>
    public int MaxRecordBytes => CaptureWire.FrameRecordBytes(Math.Min(Snaplen, Taps[0].Ring.MaxCaptured)) + 4096;

    /// <summary>Nanoseconds since the Unix epoch of a worker's <see cref="Stopwatch"/> timestamp.</summary>
    public long UnixNanoseconds(long timestamp) =>
        _startUnixNanoseconds + (long)((timestamp - _startTicks) * (1e9 / Stopwatch.Frequency));

    /// <summary>
    /// Announces a port (a <c>port</c> event) into <paramref name="batch"/> unless it was announced under that name;
    /// returns the bytes written, or -1 when the batch has no room.
    /// </summary>
    public int Announce(Span<byte> batch, int portId, string name)
    {
        if (_announced[portId] == name)
        {
            return 0;
        }

        byte[] record = CaptureWire.Event(new CaptureEvent { Event = "port", Id = portId, Name = name });
        if (record.Length > batch.Length)
        {
            return -1;
        }

        record.CopyTo(batch);
        _announced[portId] = name;
        return record.Length;
    }

    /// <summary>
    /// Moves captured frames, oldest first over all workers' rings, into <paramref name="batch"/> as stream records
    /// (each preceded by its port's announcement the first time); returns the bytes written. Stops when the batch is
    /// full, the rings are empty or the frame count is reached. <paramref name="portName"/> names a port id (null
    /// when it has gone: its earlier name is kept).
    /// </summary>
    public int Drain(Span<byte> batch, Func<int, string?> portName)
    {
        int used = 0;
        while (!Done)
        {
            int oldest = -1;
            long oldestTimestamp = long.MaxValue;
            for (int w = 0; w < Taps.Length; w++)
            {
                if (Taps[w].Ring.TryPeek(out CaptureHeader head, out _) && head.Timestamp < oldestTimestamp)
                {
                    oldest = w;
                    oldestTimestamp = head.Timestamp;
                }
            }

            if (oldest < 0)
            {
                break;
            }

            CaptureRing ring = Taps[oldest].Ring;
            ring.TryPeek(out CaptureHeader header, out ReadOnlySpan<byte> captured);
            string name = portName(header.PortId) ?? _announced[header.PortId] ?? header.PortId.ToString(CultureInfo.InvariantCulture);
            int announced = Announce(batch[used..], header.PortId, name);
            if (announced < 0 || used + announced + CaptureWire.FrameRecordBytes(captured.Length) > batch.Length)
            {
                used += Math.Max(announced, 0);
                break;
            }

            used += announced;
            used += CaptureWire.WriteFrame(batch[used..], header.PortId, header.Direction, UnixNanoseconds(header.Timestamp), header.OriginalLength, captured);
            ring.Consume();
            Delivered++;
        }

        return used;
    }

    /// <summary>Per announced or matching port: frames that matched and copies dropped, over all workers (final once detached).</summary>
    public List<CapturePortTotals> Totals(Func<int, string?> portName)
    {
        var totals = new List<CapturePortTotals>();
        for (int id = 0; id < _announced.Length; id++)
        {
            long matched = 0, dropped = 0;
            foreach (CaptureTap tap in Taps)
            {
                matched += tap.Matched(id);
                dropped += tap.Dropped(id);
            }

            if (_announced[id] is not null || matched > 0)
            {
                string name = _announced[id] ?? portName(id) ?? id.ToString(CultureInfo.InvariantCulture);
                totals.Add(new CapturePortTotals { Id = id, Name = name, Matched = matched, Dropped = dropped });
            }
        }

        return totals;
    }
}
