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
            // the worker is about to sleep (BeforeSleep), as OVS-DPDK's PMD threads never ask while polling.
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
    /// The worker is about to sleep: ask the guest to kick again (NO_NOTIFY cleared, or avail_event at the next entry),
    /// empty the kick eventfd, and fence; the worker's last pass then reads the avail index once more, so a frame the
    /// guest queued before it saw the request is taken then, and one queued after comes with a kick that wakes the
    /// worker (the guest fences between publishing its avail index and reading our flags).
    /// </summary>
    protected internal override void BeforeSleep()
    {
        VhostUserDevice? device = Enter();
        if (device is null)
        {
            return;
        }

        try
        {
            Virtqueue q = device.Tx;
            q.SetNotifications(true);
            q.DrainKick();
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
