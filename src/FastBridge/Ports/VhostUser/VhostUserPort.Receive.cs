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
        // Per burst, not per frame: the ring and the memory in locals (the stores into guest memory below would make
        // the JIT load the fields again), and the buffers PrefetchAhead frames on started loading before their turn.
        GuestMemory memory = device.Memory;
        nint table = q.Desc;
        uint size = q.Size;
        bool indirect = device.Indirect;
        int headerLength = device.HeaderLength;
        ushort slot = q.LastAvail;
        ushort used = q.LastUsed;
        for (int i = 0; i < Math.Min(count, PrefetchAhead); i++)
        {
            RingCopy.PrefetchBuffer(memory, table, size, q.AvailEntry((ushort)(slot + i)));
        }

        for (int i = 0; i < count; i++, slot++, used++)
        {
            if (i + PrefetchAhead < count)
            {
                RingCopy.PrefetchBuffer(memory, table, size, q.AvailEntry((ushort)(slot + PrefetchAhead)));
            }

            uint head = q.AvailEntry(slot);
            DropReason reason = RingCopy.ChainToPacket(memory, table, size, head, indirect, headerLength, pool, _segments, out Packet packet);
            q.PutUsed(used, head, 0);
            if (reason == DropReason.None)
            {
                burst[received++] = packet;
            }
            else
            {
                CountReceiveDrop(reason);
            }
        }

        q.LastAvail = slot;
        q.LastUsed = used;
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
}
