using System.Runtime.CompilerServices;
using FastBridge.Buffers;
using FastBridge.Diagnostics;
using FastBridge.Interop;
using FastBridge.Offloads;

namespace FastBridge.Ports.Netdev;

/// <summary>One ring frame into a pool buffer: its length checked, its virtio-net header read and checked.</summary>
public sealed unsafe partial class NetdevPort
{
    private long _rxSuperFrames;
    private long _rxBadOffload;
    private long _rxQueued;
    private long _txSuperFrames;

    /// <summary>What became of one ring frame.</summary>
    internal enum Taken
    {
        /// <summary>Copied into a pool buffer, to pass on.</summary>
        Frame,

        /// <summary>Dropped and counted; the ring frame is done with.</summary>
        Dropped,

        /// <summary>No pool buffer: the frame stays in the ring for the next call.</summary>
        Wait,
    }

    /// <summary>GSO super-frames received (virtio-net header with a GSO type) and passed on whole.</summary>
    internal long RxSuperFrames => Volatile.Read(ref _rxSuperFrames);

    /// <summary>Frames whose virtio-net header made no sense for them: dropped as <see cref="DropReason.BadOffload"/>.</summary>
    internal long RxBadOffload => Volatile.Read(ref _rxBadOffload);

    /// <summary>Super-frames longer than a TPACKET_V2 slot, read whole from the socket's queue (TP_STATUS_COPY).</summary>
    internal long RxQueued => Volatile.Read(ref _rxQueued);

    /// <summary>GSO super-frames sent whole (with a virtio-net header saying so).</summary>
    internal long TxSuperFrames => Volatile.Read(ref _txSuperFrames);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Taken Take(ReadOnlySpan<byte> area, in RingFrame frame, PacketPool pool, out Packet packet)
    {
        Taken taken = TakeFrame(area, frame, pool, MaxFrameLength, _offloads, out packet, out DropReason reason);
        if (taken == Taken.Frame)
        {
            if (_offloads && packet.Offload.GsoType != GsoType.None)
            {
                _rxSuperFrames++;
            }
        }
        else if (taken == Taken.Dropped)
        {
            CountTakeDrop(reason);
        }

        return taken;
    }

    /// <summary>
    /// Copies <paramref name="frame"/> of <paramref name="area"/> (its block or slot) into a buffer of
    /// <paramref name="pool"/>, the stripped tag back in and, with <paramref name="offloads"/>, the virtio-net header
    /// the kernel wrote before it as the buffer's <see cref="Packet.Offload"/>. Dropped (with the reason) when the ring
    /// cut it, when it is longer than <paramref name="maxFrameLength"/> without being a super-frame, when a
    /// super-frame is longer than the pool takes, or when its header makes no sense for it (<see cref="GsoLayout.IsValid"/>).
    /// </summary>
    internal static Taken TakeFrame(ReadOnlySpan<byte> area, in RingFrame frame, PacketPool pool, int maxFrameLength, bool offloads, out Packet packet, out DropReason reason)
    {
        packet = default;
        OffloadInfo info = default;
        if (offloads && !frame.TryReadOffload(area, out info))
        {
            reason = DropReason.BadRingFrame;
            return Taken.Dropped;
        }

        reason = LengthCheck(frame, info, maxFrameLength);
        if (reason != DropReason.None)
        {
            return Taken.Dropped;
        }

        if (!pool.TryRent(frame.Length, out packet))
        {
            if (frame.Length > PacketPool.SmallBufferSize && pool.LargeCount == 0)
            {
                reason = DropReason.NoBuffer; // a pool without large buffers never takes it: waiting would stall the port
                return Taken.Dropped;
            }

            return Taken.Wait;
        }

        packet.SetLength(frame.CopyTo(area, packet.Buffer));
        if (!info.IsNone)
        {
            packet.Offload = info;
            if (!GsoLayout.IsValid(info, packet.Span))
            {
                packet.Release();
                packet = default;
                reason = DropReason.BadOffload;
                return Taken.Dropped;
            }
        }

        return Taken.Frame;
    }

    /// <summary>
    /// <see cref="DropReason.OverMtu"/> for a frame the ring cut or one longer than <paramref name="maxFrameLength"/>
    /// that is not a super-frame; <see cref="DropReason.Oversize"/> for a super-frame longer than the pool's largest
    /// buffer; else <see cref="DropReason.None"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static DropReason LengthCheck(in RingFrame frame, in OffloadInfo info, int maxFrameLength)
    {
        if (frame.IsCut)
        {
            return DropReason.OverMtu;
        }

        if (frame.OriginalLength <= maxFrameLength)
        {
            return DropReason.None;
        }

        if (info.GsoType == GsoType.None)
        {
            return DropReason.OverMtu;
        }

        return frame.OriginalLength > PacketPool.MaxFrameLength ? DropReason.Oversize : DropReason.None;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void CountTakeDrop(DropReason reason)
    {
        switch (reason)
        {
            case DropReason.OverMtu:
                _rxOverMtu++;
                break;
            case DropReason.BadRingFrame:
                _rxBadRingFrames++;
                break;
            case DropReason.BadOffload:
                _rxBadOffload++;
                break;
        }

        CountReceiveDrop(reason);
    }

    /// <summary>
    /// TPACKET_V2 with offloads: a super-frame longer than its slot arrived cut in the slot, and (TP_STATUS_COPY) whole
    /// on the socket's queue, in the same order as the slots. Reads it from there with its virtio-net header into a
    /// large buffer, the stripped tag (which the slot reports) back in after the MACs.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private Taken TakeQueued(in RingFrame frame, PacketPool pool, out Packet packet)
    {
        byte* header = stackalloc byte[VnetHeader.Size];
        IoVec* iov = stackalloc IoVec[3];
        if (!pool.TryRent(PacketPool.LargeBufferSize, out packet))
        {
            if (pool.LargeCount == 0)
            {
                // Nowhere to put it: take it off the queue (a datagram read short is gone whole; a read of 0 bytes would not take it).
                iov[0].Base = header;
                iov[0].Length = VnetHeader.Size;
                _ = Syscall.Readv(_fdNumber, iov, 1, out _);
                CountTakeDrop(DropReason.NoBuffer);
                return Taken.Dropped;
            }

            return Taken.Wait;
        }

        int tag = frame.HasTag ? RingFrame.TagSize : 0;
        byte* buffer = packet.Pointer;
        iov[0].Base = header;
        iov[0].Length = VnetHeader.Size;
        iov[1].Base = buffer;
        iov[1].Length = tag == 0 ? (nuint)PacketPool.MaxFrameLength : 12;
        iov[2].Base = buffer + 12 + tag;
        iov[2].Length = (nuint)(PacketPool.MaxFrameLength - 12 - tag);
        nint read = Syscall.Readv(_fdNumber, iov, tag == 0 ? 2 : 3, out _);
        int length = (int)read - VnetHeader.Size;
        if (read < 0 || length != frame.WireLength
            || !VnetHeader.Read(new ReadOnlySpan<byte>(header, VnetHeader.Size), tag != 0, out OffloadInfo info))
        {
            packet.Release();
            packet = default;
            CountTakeDrop(DropReason.OverMtu); // not the frame the slot announced (or longer than the pool takes)
            return Taken.Dropped;
        }

        if (tag != 0)
        {
            buffer[12] = (byte)(frame.TagProtocol >> 8);
            buffer[13] = (byte)frame.TagProtocol;
            buffer[14] = (byte)(frame.TagControl >> 8);
            buffer[15] = (byte)frame.TagControl;
        }

        packet.SetLength(length + tag);
        DropReason reason = LengthCheck(frame with { CapturedLength = frame.WireLength }, info, MaxFrameLength);
        if (reason == DropReason.None && !info.IsNone && !GsoLayout.IsValid(info, packet.Span))
        {
            reason = DropReason.BadOffload;
        }

        if (reason != DropReason.None)
        {
            packet.Release();
            packet = default;
            CountTakeDrop(reason);
            return Taken.Dropped;
        }

        if (!info.IsNone)
        {
            packet.Offload = info;
        }

        _rxQueued++;
        if (info.GsoType != GsoType.None)
        {
            _rxSuperFrames++;
        }

        return Taken.Frame;
    }
}
