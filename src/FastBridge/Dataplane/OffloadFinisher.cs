using FastBridge.Buffers;
using FastBridge.Diagnostics;
using FastBridge.Offloads;
using FastBridge.Ports;

namespace FastBridge.Dataplane;

/// <summary>
/// Transmits a burst to a port that does not accept offloads (<see cref="Port.AcceptsOffloads"/> false): frames with a
/// pending checksum get it filled, GSO super-frames are cut into segments, everything else passes as it is.
/// </summary>
/// <remarks>
/// Design: the worker calls it instead of <see cref="Port.Transmit"/> when a burst for such a port holds a frame that
/// <see cref="OffloadInfo.NeedsFinishing"/>. Output frames go to the port in order, in chunks of up to
/// <see cref="ChunkSize"/>, so a super-frame of any segment count needs no unbounded array. A checksum is filled in
/// place when the worker holds the only reference; a flooded frame (other ports still hold it, and an offload-capable
/// one must see it unchanged) is copied first. Segments always go into fresh buffers.
/// Counting (the engine's <c>TxOffered == TxFrames + EgressDrops</c> holds): a super-frame stays one offered frame; it
/// is transmitted when all its segments were, else dropped under the first segment's failure, or
/// <see cref="DropReason.NoTxBuffer"/> when the pool ran out of buffers for its segments (the segments made so far
/// still go out). TxBytes counts bytes on the wire: the sum of the segments that went out (<see cref="Transmit"/>
/// returns the difference to the frame lengths the worker counts).
/// Thread-safety: one per worker, used by that worker only. Performance: no allocation after construction.
/// </remarks>
internal sealed class OffloadFinisher
{
    /// <summary>Frames handed to the port per call.</summary>
    public const int ChunkSize = 64;

    private readonly PacketPool _pool;
    private readonly Packet[] _out = new Packet[ChunkSize];
    private readonly int[] _owner = new int[ChunkSize];
    private readonly bool[] _owned = new bool[ChunkSize];
    private readonly DropReason[] _outcome = new DropReason[ChunkSize];
    private int _count;
    private long _wireBytes;

    public OffloadFinisher(PacketPool pool) => _pool = pool;

    /// <summary>Super-frames cut into segments so far.</summary>
    public long SuperFramesSegmented { get; private set; }

    /// <summary>Segments made so far.</summary>
    public long SegmentsMade { get; private set; }

    /// <summary>Pending checksums filled so far (on frames that were not cut).</summary>
    public long ChecksumsFilled { get; private set; }

    /// <summary>True when some frame of <paramref name="frames"/> needs finishing before a port without offloads takes it.</summary>
    public static bool AnyPending(ReadOnlySpan<Packet> frames)
    {
        if (frames.IsEmpty || !frames[0].Pool.OffloadsSeen)
        {
            return false; // no frame of this pool ever carried metadata: nothing to read per frame
        }

        for (int i = 0; i < frames.Length; i++)
        {
            if (frames[i].Offload.NeedsFinishing)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Finishes and transmits <paramref name="frames"/> to <paramref name="port"/>, setting each frame's
    /// <paramref name="outcome"/> (which the caller initialised to <see cref="DropReason.None"/>). Returns bytes sent
    /// minus the lengths of the frames whose outcome is <see cref="DropReason.None"/>. The caller still owns and releases
    /// <paramref name="frames"/>.
    /// </summary>
    public long Transmit(Port port, ReadOnlySpan<Packet> frames, Span<DropReason> outcome)
    {
        _wireBytes = 0;
        for (int i = 0; i < frames.Length; i++)
        {
            Packet frame = frames[i];
            ref OffloadInfo info = ref frame.Offload;
            if (!info.NeedsFinishing)
            {
                Append(port, frame, i, owned: false, outcome);
            }
            else if (info.Kind == GsoType.None)
            {
                FinishChecksum(port, frame, i, outcome);
            }
            else
            {
                Segment(port, frame, i, outcome);
            }
        }

        Flush(port, outcome);
        long counted = 0;
        for (int i = 0; i < frames.Length; i++)
        {
            if (outcome[i] == DropReason.None)
            {
                counted += frames[i].Length;
            }
        }

        return _wireBytes - counted;
    }

    private void FinishChecksum(Port port, Packet frame, int i, Span<DropReason> outcome)
    {
        OffloadInfo info = frame.Offload;
        bool owned = _pool.RefCountOf(frame.Index) != 1;
        if (owned && !_pool.TryRentCopy(frame.Span, out frame))
        {
            outcome[i] = DropReason.NoTxBuffer;
            return;
        }

        GsoSegmenter.CompleteChecksum(frame.Span, info);
        frame.Offload = default;
        ChecksumsFilled++;
        Append(port, frame, i, owned, outcome);
    }

    private void Segment(Port port, Packet frame, int i, Span<DropReason> outcome)
    {
        OffloadInfo info = frame.Offload;
        if (!GsoLayout.TryCreate(info, frame.Span, out GsoLayout layout))
        {
            // Only a port that set the metadata itself gets here (a TAP validates what it receives).
            outcome[i] = DropReason.TxError;
            return;
        }

        if (layout.Count == 1 && _pool.RefCountOf(frame.Index) == 1)
        {
            GsoSegmenter.FixHeaders(frame.Span, layout, 0, frame.Length - layout.HeaderLength);
            frame.Offload = default;
            ChecksumsFilled++;
            Append(port, frame, i, owned: false, outcome);
            return;
        }

        SuperFramesSegmented++;
        int next = 0;
        while (next < layout.Count)
        {
            if (_count == ChunkSize)
            {
                Flush(port, outcome);
            }

            int made = GsoSegmenter.Segment(_pool, frame.Span, layout, ref next, _out.AsSpan(_count, ChunkSize - _count));
            for (int k = _count; k < _count + made; k++)
            {
                _owner[k] = i;
                _owned[k] = true;
            }

            _count += made;
            SegmentsMade += made;
            if (_count < ChunkSize && next < layout.Count)
            {
                // The pool is dry. Sending what is made frees those buffers; when nothing was made, give up.
                if (_count == 0)
                {
                    outcome[i] = DropReason.NoTxBuffer;
                    return;
                }

                Flush(port, outcome);
            }
        }
    }

    private void Append(Port port, Packet frame, int owner, bool owned, Span<DropReason> outcome)
    {
        if (_count == ChunkSize)
        {
            Flush(port, outcome);
        }

        _out[_count] = frame;
        _owner[_count] = owner;
        _owned[_count] = owned;
        _count++;
    }

    private void Flush(Port port, Span<DropReason> outcome)
    {
        int n = _count;
        if (n == 0)
        {
            return;
        }

        _outcome.AsSpan(0, n).Clear();
        port.Transmit(_out.AsSpan(0, n), _outcome.AsSpan(0, n));
        for (int k = 0; k < n; k++)
        {
            DropReason result = _outcome[k];
            if (result == DropReason.None)
            {
                _wireBytes += _out[k].Length;
            }
            else if (outcome[_owner[k]] == DropReason.None)
            {
                outcome[_owner[k]] = result;
            }

            if (_owned[k])
            {
                _out[k].Release();
            }

            _out[k] = default;
        }

        _count = 0;
    }
}
