using FastBridge.Buffers;
using FastBridge.Diagnostics;

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

        try
        {
            return ReceiveFrom(device, device.Tx, pool, burst);
        }
        finally
        {
            Leave(); // whatever happens, the control thread's grace wait must end
        }
    }

    private int ReceiveFrom(VhostUserDevice device, Virtqueue q, PacketPool pool, Span<Packet> burst)
    {
        ushort pending = (ushort)(q.ReadAvailIndex() - q.LastAvail);
        if (pending == 0)
        {
            // Nothing queued: no system call and no change to the guest's notification state. Kicks stay off while
            // the worker polls (the guest pays a write(2) for each one it sends); they are asked for again only when
            // the worker is about to sleep (PrepareToSleep), as OVS-DPDK's PMD threads never ask while polling.
            return 0;
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

    /// <summary>
    /// The worker is about to sleep: ask the guest for kicks again (NO_NOTIFY cleared, or avail_event = LastAvail),
    /// empty the kick eventfd, and fence, so that the worker's last <see cref="Receive"/> reads the avail index only
    /// after the guest can see notifications are on: a frame the guest queues before that read is taken by it, one
    /// queued after it comes with a kick (the guest fences between its avail write and its read of our suppression).
    /// </summary>
    protected internal override void PrepareToSleep()
    {
        VhostUserDevice? device = Enter();
        if (device is null)
        {
            return;
        }

        try
        {
            device.Tx.SetNotifications(true);
            device.Tx.DrainKick();
            Interlocked.MemoryBarrier();
        }
        finally
        {
            Leave();
        }
    }

    private DropReason TakeFrame(VhostUserDevice device, Virtqueue q, uint head, PacketPool pool, out Packet packet) =>
        RingCopy.ChainToPacket(device.Memory, q.Desc, q.Size, head, device.Indirect, device.HeaderLength, pool, _segments, out packet);
}
