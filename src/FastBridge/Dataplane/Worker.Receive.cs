using FastBridge.Buffers;
using FastBridge.Frames;

namespace FastBridge.Dataplane;

/// <summary>Stage 1, receive and parse: one burst from the port, then every header at once into <see cref="_infos"/>.</summary>
internal sealed partial class Worker
{
    private readonly Packet[] _rx;
    private readonly FrameInfo[] _infos;

    /// <summary>Receives one burst from queue <paramref name="queue"/> of <paramref name="ingress"/> and switches it; returns frames received.</summary>
    private int ReceiveAndSwitch(DataplaneView view, PortSlot ingress, int queue)
    {
        int n = ingress.Port.ReceiveQueue(queue, _pool, _rx.AsSpan(0, _burst));
        if (n <= 0)
        {
            return 0;
        }

        SwitchBurst(view, ingress, n);
        return n;
    }

    /// <summary>Parses the first <paramref name="n"/> received frames (the vector or scalar path, chosen once per burst); returns their bytes.</summary>
    private long Parse(int n)
    {
        FrameParser.ParseBurst(_rx.AsSpan(0, n), _infos.AsSpan(0, n));
        long bytes = 0;
        for (int i = 0; i < n; i++)
        {
            bytes += _rx[i].Length;
        }

        return bytes;
    }
}
