using System.Runtime.CompilerServices;
using FastBridge.Buffers;
using FastBridge.Dataplane;
using FastBridge.Diagnostics;
using FastBridge.Offloads;

namespace FastBridge.Ports.VhostUser;

public sealed partial class VhostUserPort
{
    /// <summary>
    /// Puts frames into the buffers the guest posted on its RX ring (several per frame with MRG_RXBUF): the avail
    /// index is read once, the burst's descriptors fetched ahead, every chain walked and reserved before any frame is
    /// written (DPDK's vhost batches its small copies the same way), the used index published once, the guest
    /// interrupted at most once (only if it asked).
    /// </summary>
    protected internal override void Transmit(ReadOnlySpan<Packet> frames, Span<DropReason> outcome)
    {
        if (_acceptsOffloads && !_acceptsUdpOffloads && HoldsUdpSuperFrame(frames))
        {
            // The guest takes TCP offloads but did not negotiate USO: the burst goes through the engine's finisher,
            // which cuts the UDP super-frames (and finishes the rest) and calls back here with complete frames.
            _finisher ??= new OffloadFinisher(frames[0].Pool);
            _finisher.Transmit(this, frames, outcome);
            return;
        }

        VhostUserDevice? device = Enter();
        if (device is null)
        {
            outcome[..frames.Length].Fill(DropReason.RingNotReady);
            return;
        }

        try
        {
            TransmitTo(device, device.Rx, frames, outcome);
        }
        finally
        {
            Leave();
        }
    }

    /// <summary>True when a frame of the burst is a UDP super-frame (USO); one branch per burst while no frame of the pool ever carried offloads.</summary>
    private static bool HoldsUdpSuperFrame(ReadOnlySpan<Packet> frames)
    {
        if (frames.IsEmpty || !frames[0].Pool.OffloadsSeen)
        {
            return false;
        }

        foreach (Packet frame in frames)
        {
            if (frame.Offload.Kind == GsoType.UdpL4)
            {
                return true;
            }
        }

        return false;
    }

    private void TransmitTo(VhostUserDevice device, Virtqueue q, ReadOnlySpan<Packet> frames, Span<DropReason> outcome)
    {
        ushort available = (ushort)(q.ReadAvailIndex() - q.LastAvail);
        if (available > q.Size)
        {
            outcome[..frames.Length].Fill(DropReason.BadGuestBuffer);
            StopBrokenRing(device, "the guest's RX avail index ran ahead of its ring");
            return;
        }

        ushort oldUsed = q.LastUsed;
        Span<byte> header = stackalloc byte[12];
        GuestMemory memory = device.Memory;  // per burst: the stores into guest memory would make the JIT reload fields
        nint table = q.Desc;
        uint size = q.Size;
        int headerLength = device.HeaderLength;
        // The descriptors of the chains this burst will take (one each, usually), fetched in the background first.
        for (int i = 0, n = Math.Min(Math.Min(frames.Length, available), MaxBurst); i < n; i++)
        {
            q.PrefetchDescriptor(q.AvailEntry((ushort)(q.LastAvail + i)));
        }

        for (int start = 0; start < frames.Length; start += MaxBurst)
        {
            // 1. Every frame's chain walked and reserved (used entry filled); a single-buffer chain is written in step
            // 2, so that the loads of the burst's descriptors do not wait behind the stores of the frames before them.
            ReadOnlySpan<Packet> part = frames.Slice(start, Math.Min(MaxBurst, frames.Length - start));
            Span<nint> targets = _targets.AsSpan(0, part.Length);
            for (int i = 0; i < part.Length; i++)
            {
                Packet frame = part[i];
                if (available != 0 && (!frame.Pool.OffloadsSeen || frame.Offload.IsNone))
                {
                    // The usual case inline: a chain of one descriptor with room for header and frame (WholeBuffer),
                    // reserved; anything else (or a frame with offload metadata) goes to PutFrame, which walks it.
                    uint head = q.AvailEntry(q.LastAvail);
                    uint need = (uint)(headerLength + frame.Length);
                    nint whole = RingCopy.WholeBuffer(memory, table, size, head, deviceWrites: true, out uint room);
                    if (whole != 0 && room >= need)
                    {
                        q.PutUsed(q.LastUsed, head, need);
                        q.LastAvail++;
                        q.LastUsed++;
                        available--;
                        targets[i] = whole;
                        outcome[start + i] = DropReason.None;
                        continue;
                    }
                }

                outcome[start + i] = PutFrame(device, q, frame, header, ref available, out targets[i]);
            }

            // 2. The deferred writes: header and frame, one copy each.
            for (int i = 0; i < part.Length; i++)
            {
                if (targets[i] != 0)
                {
                    RingCopy.PacketToBuffer(targets[i], part[i], headerLength);
                }
            }
        }

        if (q.LastUsed != oldUsed)
        {
            q.PublishUsed();
            if (q.GuestWantsInterrupt(oldUsed))
            {
                q.Interrupt();
            }
        }
    }

    private DropReason PutFrame(VhostUserDevice device, Virtqueue q, Packet frame, Span<byte> header, ref ushort available, out nint target)
    {
        target = 0;
        if (available == 0)
        {
            return DropReason.NoGuestBuffer;
        }

        // A pool that never carried offload metadata has none on any frame: nothing to read per frame then.
        OffloadInfo offload = frame.Pool.OffloadsSeen ? frame.Offload : default;
        if (!offload.IsNone && (!_acceptsOffloads || (offload.Kind == GsoType.UdpL4 && !_acceptsUdpOffloads)))
        {
            return DropReason.TxError; // not reached: the engine, or Transmit's finisher for USO, finishes what the guest cannot take
        }

        int headerLength = device.HeaderLength;
        if (TryReserveWhole(device, q, frame, headerLength, out target))
        {
            return Consume(q, 1, ref available, DropReason.None);
        }

        header.Clear();
        if (!offload.IsNone)
        {
            Unsafe.WriteUnaligned(ref header[0], offload);
        }

        ReadOnlySpan<byte> bytes = frame.Span;
        int total = headerLength + bytes.Length;
        int written = 0;
        int chains = 0;
        int headerCount = 0;
        bool mergeable = device.Mergeable;
        while (written < total)
        {
            if (chains == available || (chains > 0 && !mergeable))
            {
                return Undo(q, chains, written, DropReason.NoGuestBuffer, ref available, mergeable);
            }

            uint head = q.AvailEntry((ushort)(q.LastAvail + chains));
            Span<BufferSegment> segments = chains == 0 ? _headerSegments : _segments;
            WalkError error = DescriptorWalker.Walk(device.Memory, q.Desc, q.Size, head, device.Indirect, deviceWrites: true,
                segments, out int count, out ulong room);
            if (error != WalkError.None || (room < (ulong)headerLength && chains == 0))
            {
                chains++;
                q.PutUsed((ushort)(q.LastUsed + chains - 1), head, 0);
                return Consume(q, chains, ref available, DropReason.BadGuestBuffer);
            }

            int n = ChainCopy.Scatter(segments[..count], header[..headerLength], bytes, written);
            if (chains == 0)
            {
                headerCount = count;
            }

            q.PutUsed((ushort)(q.LastUsed + chains), head, (uint)n);
            written += n;
            chains++;
        }

        if (headerLength == 12)
        {
            // num_buffers: how many chains this frame took (1 without MRG_RXBUF)
            BitConverter.TryWriteBytes(header[10..], (ushort)chains);
            ChainCopy.WriteAt(_headerSegments.AsSpan(0, headerCount), 10, header.Slice(10, 2));
        }

        return Consume(q, chains, ref available, DropReason.None);
    }

    /// <summary>
    /// The usual case, one chain of one buffer with room for header and frame (DPDK and Linux post receive buffers so):
    /// the chain is walked, its used entry filled and its buffer returned in <paramref name="target"/>, to be written
    /// by <see cref="RingCopy.PacketToBuffer"/> before the used index is published. False, with nothing consumed, for anything else
    /// (a longer chain, a buffer too small, a malformed chain): the general path then walks it again and decides.
    /// </summary>
    private bool TryReserveWhole(VhostUserDevice device, Virtqueue q, Packet frame, int headerLength, out nint target)
    {
        uint head = q.AvailEntry(q.LastAvail);
        int length = frame.Length;
        WalkError error = DescriptorWalker.Walk(device.Memory, q.Desc, q.Size, head, device.Indirect, deviceWrites: true,
            _headerSegments, out int count, out ulong room);
        if (error != WalkError.None || count != 1 || room < (ulong)(headerLength + length))
        {
            target = 0;
            return false;
        }

        target = _headerSegments[0].Address;
        q.PutUsed(q.LastUsed, head, (uint)(headerLength + length));
        return true;
    }

    /// <summary>Not enough buffers posted: give the chains back untouched (nothing was published) and drop the frame.</summary>
    private static DropReason Undo(Virtqueue q, int chains, int written, DropReason reason, ref ushort available, bool mergeable)
    {
        if (!mergeable && chains == 1 && written > 0)
        {
            // One buffer too small for the frame: it is consumed empty (the guest drops a zero-length buffer).
            q.PutUsed(q.LastUsed, q.AvailEntry(q.LastAvail), 0);
            return Consume(q, 1, ref available, DropReason.BadGuestBuffer);
        }

        return reason;
    }

    /// <summary>Marks <paramref name="chains"/> chains used; a dropped frame's chains go back with length 0.</summary>
    private static DropReason Consume(Virtqueue q, int chains, ref ushort available, DropReason reason)
    {
        if (reason != DropReason.None)
        {
            for (int c = 0; c < chains; c++)
            {
                q.PutUsed((ushort)(q.LastUsed + c), q.AvailEntry((ushort)(q.LastAvail + c)), 0);
            }
        }

        q.LastAvail += (ushort)chains;
        q.LastUsed += (ushort)chains;
        available -= (ushort)chains;
        return reason;
    }
}
