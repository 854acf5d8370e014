using System.Buffers;

namespace FastBridge.Capture;

/// <summary>
/// Turns the records of a capture stream into a pcapng file: a port announcement becomes an interface description
/// (one per port, named after it), a frame an enhanced packet block on its port's interface, and the <c>end</c>
/// event one statistics block per interface with what the capture dropped.
/// </summary>
/// <remarks>
/// A port id announced again under another name (a port removed and its id reused) gets a new interface; a frame of a
/// port never announced gets an interface named after its id. Not thread-safe.
/// </remarks>
internal sealed class PcapngCaptureSink
{
    private readonly PcapngWriter _writer;
    private readonly int _snaplen;
    private readonly long _startNanoseconds;
    private readonly Dictionary<int, int> _interfaceOfPort = [];
    private readonly List<(int PortId, string Name, long Delivered)> _interfaces = [];
    private byte[] _frame = new byte[2048];

    public PcapngCaptureSink(Stream output, bool flushEachBlock, int snaplen, string application, long startNanoseconds)
    {
        _writer = new PcapngWriter(output, flushEachBlock);
        _snaplen = snaplen;
        _startNanoseconds = startNanoseconds;
        _writer.WriteSectionHeader(application);
    }

    /// <summary>Frames written.</summary>
    public long Frames { get; private set; }

    /// <summary>The <c>end</c> event, once it came.</summary>
    public CaptureEvent? End { get; private set; }

    /// <summary>Writes what one record says; returns false once the <c>end</c> event came.</summary>
    public bool Handle(uint kind, ReadOnlySequence<byte> body)
    {
        if (kind == CaptureWire.EventKind)
        {
            CaptureEvent? e = CaptureWire.ReadEvent(body.IsSingleSegment ? body.FirstSpan : body.ToArray());
            if (e is { Event: "port", Id: { } id, Name: { } name })
            {
                Describe(id, name);
            }
            else if (e is { Event: "end" })
            {
                End = e;
                return false;
            }

            return true;
        }

        if (body.Length > _frame.Length)
        {
            _frame = new byte[body.Length];
        }

        Span<byte> bytes = _frame.AsSpan(0, (int)body.Length);
        body.CopyTo(bytes);
        (int portId, CaptureDirection direction, long time, int originalLength) = CaptureWire.ReadFrame(bytes);
        if (!_interfaceOfPort.TryGetValue(portId, out int iface))
        {
            iface = Describe(portId, $"port{portId}");
        }

        _writer.WritePacket(iface, time, direction, originalLength, bytes[CaptureWire.FrameFixedBytes..]);
        _interfaces[iface] = _interfaces[iface] with { Delivered = _interfaces[iface].Delivered + 1 };
        Frames++;
        return true;
    }

    /// <summary>
    /// One statistics block per interface: the switch's totals (matched, dropped) when the <c>end</c> event came,
    /// else only what was written. Returns the copies the capture dropped in all.
    /// </summary>
    public long Finish(long endNanoseconds)
    {
        long droppedInAll = 0;
        for (int i = 0; i < _interfaces.Count; i++)
        {
            (int portId, string name, long delivered) = _interfaces[i];
            CapturePortTotals? totals = End?.Ports?.Find(p => p.Id == portId && p.Name == name);
            long? dropped = End is null ? null : totals?.Dropped ?? 0;
            long? matched = End is null ? null : totals?.Matched ?? 0;
            droppedInAll += dropped ?? 0;
            _writer.WriteStatistics(i, _startNanoseconds, endNanoseconds, matched, dropped, delivered);
        }

        _writer.Flush();
        return droppedInAll;
    }

    private int Describe(int portId, string name)
    {
        if (_interfaceOfPort.TryGetValue(portId, out int known) && _interfaces[known].Name == name)
        {
            return known;
        }

        int iface = _writer.WriteInterface(name, _snaplen);
        _interfaces.Add((portId, name, 0));
        _interfaceOfPort[portId] = iface;
        return iface;
    }
}
