using FastBridge.Diagnostics;
using FastBridge.Ports;
using FastBridge.Rings;
using FastBridge.Switching;

namespace FastBridge.Dataplane;

/// <summary>
/// Everything the dataplane keeps about one port: the port, the worker that owns it, one ring per worker carrying
/// frames towards it (single producer, single consumer each: no two threads ever write the same ring end), and one
/// counter block per worker.
/// </summary>
internal sealed class PortSlot
{
    public PortSlot(Port port, int id, int owner, int workers, int ringSize, int stormLimit = 0)
    {
        Storm = stormLimit > 0 ? new StormControl(stormLimit) : null;
        Port = port;
        Id = id;
        Owner = owner;
        Inbound = new SpscRing[workers];
        Counters = new CounterBlock[workers];
        for (int w = 0; w < workers; w++)
        {
            Inbound[w] = new SpscRing(ringSize);
            Counters[w] = new CounterBlock();
        }
    }

    public Port Port { get; }

    public int Id { get; }

    /// <summary>Index of the worker that receives from and transmits to this port (for a multi-queue port: its queue 0).</summary>
    public int Owner { get; }

    /// <summary>QueueOwners[q]: the worker that receives queue q of the port (<c>[Owner]</c> for a single-queue port).</summary>
    public int[] QueueOwners { get; init; } = [];

    /// <summary>Inbound[w]: frames worker w switched towards this port; drained by the owner.</summary>
    public SpscRing[] Inbound { get; }

    /// <summary>Flood limits for frames received on this port, or null when storm control is off.</summary>
    public StormControl? Storm { get; }

    /// <summary>Counters[w]: what worker w counted for this port.</summary>
    public CounterBlock[] Counters { get; }

    /// <summary>False once the port is being removed or its device is gone: nothing more is switched to it.</summary>
    public volatile bool Forwarding;

    /// <summary>
    /// The port's VLANs and flags. Written by the control plane under its lock and read only when it builds a view
    /// (<see cref="DataplaneView.Policies"/>): workers never read it here.
    /// </summary>
    public Switching.PortPolicy Policy = Switching.PortPolicy.Default;

    /// <summary>State version the housekeeper last logged.</summary>
    public int LoggedStateVersion;

    /// <summary>Housekeeping logged this port down or gone, so its return is worth an "up again" line.</summary>
    public bool LoggedDown;

    /// <summary>Storm-limit drops the housekeeper last logged.</summary>
    public long LoggedStormDrops;
}
