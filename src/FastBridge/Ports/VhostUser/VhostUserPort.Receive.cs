using System.Runtime.CompilerServices;
using FastBridge.Buffers;
using FastBridge.Diagnostics;
using FastBridge.Offloads;

namespace FastBridge.Ports.VhostUser;

public sealed partial class VhostUserPort
{
    /// <summary>
    /// Takes up to a burst of frames the guest queued on its TX ring into pool buffers: the avail index is read once,
    /// the used index published once, the guest interrupted at most once (only if it asked).
    /// </summary>
    protected internal override int Receive(PacketPool pool, Span<Packet> burst)
    {
        VhostUserDevice? device = Enter();
        if (device is null)
        {
            return 0;
        }

        int received = ReceiveFrom(device, device.Tx, pool, burst);
        Leave();
        return received;
    }

    private int ReceiveFrom(VhostUserDevice device, Virtqueue q, PacketPool pool, Span<Packet> burst)
    {
        ushort pending = (ushort)(q.ReadAvailIndex() - q.LastAvail);
        if (pending == 0)
        {
            // Idle: ask for kicks again and empty the kick fd, then look once more (a frame queued before the
            // guest saw notifications back on would otherwise wait for the next kick).
            q.SetNotifications(true);
            q.DrainKick();
            Interlocked.MemoryBarrier();
            pending = (ushort)(q.ReadAvailIndex() - q.LastAvail);
            if (pending == 0)
            {
                return 0;
            }
        }

        if (pending > q.Size)
        {
            CountReceiveDrop(DropReason.BadDescriptor);
            StopBrokenRing(device, "the guest's TX avail index ran ahead of its ring");
            return 0;
        }

        if (q.NotificationsOn)
        {
            q.SetNotifications(false); // busy: poll, no kicks
        }

        int count = Math.Min(pending, burst.Length);
        int received = 0;
        ushort oldUsed = q.LastUsed;
        for (int i = 0; i < count; i++)
        {
            uint head = q.AvailEntry(q.LastAvail);
            q.LastAvail++;
            DropReason reason = TakeFrame(device, q, head, pool, out Packet packet);
            q.PutUsed(q.LastUsed++, head, 0);
            if (reason == DropReason.None)
            {
                burst[received++] = packet;
            }
            else
            {
                CountReceiveDrop(reason);
            }
        }

        q.PublishUsed();
        if (q.GuestWantsInterrupt(oldUsed))
        {
            q.Interrupt();
        }

        return received;
    }

    private unsafe DropReason TakeFrame(VhostUserDevice device, Virtqueue q, uint head, PacketPool pool, out Packet packet)
    {
        packet = default;
        Span<BufferSegment> segments = _segments;
        WalkError error = DescriptorWalker.Walk(device.Memory, q.Desc, q.Size, head, device.Indirect, deviceWrites: false,
            segments, out int count, out ulong total);
        int headerLength = device.HeaderLength;
        if (error != WalkError.None || total < (ulong)headerLength)
        {
            return DropReason.BadDescriptor;
        }

        ulong frameLength = total - (ulong)headerLength;
        if (frameLength > PacketPool.MaxFrameLength)
        {
            return DropReason.Oversize;
        }

        if (!pool.TryRent((int)frameLength, out packet))
        {
            return DropReason.NoBuffer;
        }

        Span<byte> header = stackalloc byte[12];
        ChainCopy.Gather(segments[..count], header[..headerLength], packet.Buffer[..(int)frameLength]);
        packet.SetLength((int)frameLength);
        ref OffloadInfo offload = ref packet.Offload;
        offload = Unsafe.ReadUnaligned<OffloadInfo>(ref header[0]);
        if (!offload.IsNone && !offload.IsValidFor(packet.Span))
        {
            packet.Release();
            packet = default;
            return DropReason.BadOffload;
        }

        return DropReason.None;
    }
}
