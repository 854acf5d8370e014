using System.Runtime.CompilerServices;
using FastBridge.Buffers;
using FastBridge.Diagnostics;
using FastBridge.Frames;
using FastBridge.Switching;

namespace FastBridge.Dataplane;

internal sealed partial class Worker
{
    private readonly Packet[] _rx;
    private readonly FrameInfo[] _infos;
    private readonly int[] _stage;        // [destination port * burst + k]: packet indices staged for that port
    private readonly int[] _stageCount;   // per destination port
    private readonly int[] _touched;      // destination ports with staged frames, in first-touch order
    private readonly bool[] _wakeWorkers; // workers to wake after handing off this burst
    private int _touchedCount;

    /// <summary>Receives one burst from <paramref name="ingress"/> and switches it; returns frames received.</summary>
    private int ReceiveAndSwitch(PortSlot ingress)
    {
        int n = ingress.Port.Receive(_pool, _rx.AsSpan(0, _burst));
        if (n <= 0)
        {
            return 0;
        }

        SwitchBurst(ingress, n);
        return n;
    }

    /// <summary>
    /// Switches the burst a benchmark or test put in place of a receive: parse, learn, look up, stage, hand off to
    /// the output rings; the worker takes over the packets' references. Worker thread only (or a worker not started).
    /// </summary>
    internal void SwitchBurst(PortSlot ingress, ReadOnlySpan<Packet> burst)
    {
        burst.CopyTo(_rx);
        SwitchBurst(ingress, burst.Length);
    }

    /// <summary>Transmits what is queued for <paramref name="slot"/> (benchmarks and tests on a worker not started).</summary>
    internal int TransmitQueued(PortSlot slot) => Transmit(slot);

    /// <summary>Switches the first <paramref name="n"/> frames of <see cref="_rx"/> received on <paramref name="ingress"/>.</summary>
    private void SwitchBurst(PortSlot ingress, int n)
    {
        FrameParser.ParseBurst(_rx.AsSpan(0, n), _infos.AsSpan(0, n));

        Bridge bridge = _bridge;
        MacTable table = bridge.MacTable;
        PortSlot?[] slots = bridge.Slots;
        int[] flood = bridge.FloodList;
        int inId = ingress.Id;
        int floodTargets = flood.Length - (Array.IndexOf(flood, inId) >= 0 ? 1 : 0);
        CounterBlock c = ingress.Counters[Id];
        StormControl? storm = ingress.Storm;
        storm?.Refill();
        long rxBytes = 0;

        for (int i = 0; i < n; i++)
        {
            Packet packet = _rx[i];
            ref FrameInfo frame = ref _infos[i];
            rxBytes += packet.Length;

            if (frame.Drop != DropReason.None)
            {
                c.Drop(frame.Drop);
                packet.Release();
                continue;
            }

            switch (table.Learn(frame.Source, frame.VlanId, inId))
            {
                case LearnResult.Learned:
                    c[Counter.Learned]++;
                    break;
                case LearnResult.Moved:
                    c[Counter.Moved]++;
                    break;
                case LearnResult.TableFull:
                    c[Counter.TableFull]++;
                    break;
                case LearnResult.LearnedEvicting:
                    c[Counter.Learned]++;
                    c[Counter.Evicted]++;
                    break;
                case LearnResult.PortLimit:
                    c[Counter.PortLimit]++;
                    break;
                case LearnResult.MovedFlapping:
                    c[Counter.Moved]++;
                    c[Counter.Flaps]++;
                    break;
            }

            if (frame.Class == FrameClass.Unicast)
            {
                int dst = table.Lookup(frame.Destination, frame.VlanId);
                if (dst == inId)
                {
                    c.Drop(DropReason.SamePort);
                    packet.Release();
                    continue;
                }

                if ((uint)dst < (uint)slots.Length && Volatile.Read(ref slots[dst]) is { Forwarding: true })
                {
                    Stage(dst, packet.Index);
                    c[Counter.Forwarded]++;
                    continue;
                }
            }

            if (floodTargets == 0)
            {
                c.Drop(DropReason.NoOutput);
                packet.Release();
                continue;
            }

            if (storm is not null && !storm.TryFlood(frame.Class))
            {
                c.Drop(DropReason.StormLimit);
                packet.Release();
                continue;
            }

            if (floodTargets > 1)
            {
                packet.AddRef(floodTargets - 1);
            }

            for (int f = 0; f < flood.Length; f++)
            {
                if (flood[f] != inId)
                {
                    Stage(flood[f], packet.Index);
                }
            }

            c[Counter.Forwarded]++;
            c[Counter.Flooded]++;
        }

        HandOff(slots);

        // Received frames are counted last: a reader that sees them counted also sees every copy they produced
        // counted as offered to its output port (stores are not reordered with stores on x64; the volatile writes
        // say so for other memory models).
        Volatile.Write(ref c[Counter.RxBytes], c[Counter.RxBytes] + rxBytes);
        Volatile.Write(ref c[Counter.RxFrames], c[Counter.RxFrames] + n);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Stage(int port, int packetIndex)
    {
        int count = _stageCount[port];
        if (count == 0)
        {
            _touched[_touchedCount++] = port;
        }

        _stage[(port * _burst) + count] = packetIndex;
        _stageCount[port] = count + 1;
    }

    /// <summary>Moves each destination's staged frames into its ring with one call; counts what does not fit.</summary>
    private void HandOff(PortSlot?[] slots)
    {
        bool wakeAny = false;
        for (int t = 0; t < _touchedCount; t++)
        {
            int port = _touched[t];
            int count = _stageCount[port];
            _stageCount[port] = 0;
            ReadOnlySpan<int> staged = _stage.AsSpan(port * _burst, count);
            PortSlot slot = slots[port]!;
            CounterBlock c = slot.Counters[Id];
            c[Counter.TxOffered] += count;
            if (slot.Port.ConcurrentTransmit)
            {
                TransmitNow(slot, staged, c);
                continue;
            }

            int queued = slot.Inbound[Id].TryEnqueueMany(staged);
            for (int k = queued; k < count; k++)
            {
                c.Drop(DropReason.RingFull);
                _pool.Release(staged[k]);
            }

            if (queued > 0 && slot.Owner != Id)
            {
                _wakeWorkers[slot.Owner] = true;
                wakeAny = true;
            }
        }

        _touchedCount = 0;
        if (wakeAny)
        {
            // Pairs with the fence between "sleeping = 1" and the last pass in Run (Dekker handshake).
            Interlocked.MemoryBarrier();
            Worker[] workers = _bridge.Workers;
            for (int w = 0; w < _wakeWorkers.Length; w++)
            {
                if (_wakeWorkers[w])
                {
                    _wakeWorkers[w] = false;
                    workers[w].WakeIfSleeping();
                }
            }
        }
    }
}
