using FastBridge.Buffers;
using FastBridge.Dataplane;
using FastBridge.Diagnostics;
using FastBridge.Frames;
using FastBridge.Ports;
using FastBridge.Switching;

namespace FastBridge.Fuzz;

/// <summary>
/// The <c>parser</c> target's second half: the receive side of the dataplane on bursts of fuzzed frames. The input is
/// a small switch configuration and a sequence of frames, each with its ingress port; consecutive frames form bursts
/// that go through <see cref="Worker.SwitchBurst(PortSlot, ReadOnlySpan{Packet})"/> (parse, validation, VLAN and QinQ
/// tags, learn, look up, filter, flood, stage, hand off) of a worker that is not started, on a bridge with four
/// <see cref="MemoryPort"/>s and a MAC table of 2 to 16 entries (so that table-full, eviction, moves, flaps and the
/// per-port limit are reached), then <see cref="Worker.TransmitQueued"/> moves what was staged out of every port.
/// </summary>
/// <remarks>
/// <para>
/// Input: byte 0 configures the switch (bits 0-2: table capacity 2 + 2n; bits 3-4: per-port limit, 0 = none); then
/// records of [control][length][frame]: control bits 0-1 are the ingress port, bit 7 ends the burst after this frame
/// (a burst also ends at 16 frames, <see cref="BurstSize"/>); the length is one byte (a frame of 0 to 255 bytes; the
/// last record takes what is left). Longer frames are the other half's business: the whole input also goes through
/// <see cref="Program.Parser"/> as one frame.
/// </para>
/// <para>
/// Oracle: a shadow <see cref="MacTable"/> with the same settings and clock replays the decisions the worker must make
/// (drop for the parser's reason; else learn the source, then known unicast to its port, filtered when that is the
/// ingress port, or flooded to the three others). Checked after every burst (a violation throws): each port's output,
/// in order, is exactly the frames the oracle sends there, unchanged; the counters moved exactly as the oracle says
/// (rx, forwarded, flooded, each ingress drop reason, offered, tx, no egress drop; learned, moved, table-full,
/// evicted, port-limit, flaps); per port rx = forwarded + ingress drops and offered = tx + egress drops; every buffer is
/// back in the pool. After the input, both tables hold the same entries.
/// </para>
/// <para>
/// Deterministic (AFL's stability): a new bridge per input, never started (no thread, no timer), storm control off
/// (its buckets refill from the real clock), and a <see cref="FuzzClock"/> that does not move.
/// </para>
/// </remarks>
internal static class FramePathTarget
{
    public const int BurstSize = 16;
    private const int PortCount = 4;

    public static void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }

        int capacity = 2 + (2 * (input[0] & 7));
        int perPort = (input[0] >> 3) & 3;
        var clock = new FuzzClock();
        using var bridge = new Bridge(new BridgeOptions
        {
            Name = "fuzz",
            Workers = 1,
            PoolFrames = 64,
            LargePoolFrames = 0,
            BurstSize = BurstSize,
            StormLimit = 0,
            MaxMacs = capacity,
            MaxMacsPerPort = perPort,
            Time = clock,
        });
        var shadow = new MacTable(capacity, MacTable.DefaultAgingSeconds, clock) { MaxPerPort = perPort };
        var ports = new MemoryPort[PortCount];
        var slots = new PortSlot[PortCount];
        for (int p = 0; p < PortCount; p++)
        {
            ports[p] = new MemoryPort($"p{p}", queueSize: 64);
            bridge.AddPort(ports[p]);
            slots[p] = bridge.SlotOf(ports[p])!;
            if (ports[p].Id != p)
            {
                throw new InvalidOperationException($"port p{p} got id {ports[p].Id}");
            }
        }

        var burst = new List<byte[]>(BurstSize);
        var learned = new HashSet<(ulong Mac, ushort Vlan)>();
        int ingress = -1;
        int at = 1;
        while (at < input.Length)
        {
            byte control = input[at++];
            int length = at < input.Length ? input[at++] : 0;
            length = Math.Min(length, input.Length - at);
            int port = control & 3;
            if (port != ingress && burst.Count > 0)
            {
                Switch(bridge, shadow, ports, slots, ingress, burst, learned);
            }

            ingress = port;
            burst.Add(input.Slice(at, length).ToArray());
            at += length;
            if ((control & 0x80) != 0 || burst.Count == BurstSize)
            {
                Switch(bridge, shadow, ports, slots, ingress, burst, learned);
            }
        }

        if (burst.Count > 0)
        {
            Switch(bridge, shadow, ports, slots, ingress, burst, learned);
        }

        foreach ((ulong mac, ushort vlan) in learned)
        {
            int want = shadow.Lookup(mac, vlan);
            int got = bridge.MacTable.Lookup(mac, vlan);
            if (want != got)
            {
                throw new InvalidOperationException($"{new MacAddress(mac)} vlan {vlan}: the table says port {got}, the oracle {want}");
            }
        }

        if (bridge.MacTable.Count != shadow.Count)
        {
            throw new InvalidOperationException($"the table holds {bridge.MacTable.Count} entries, the oracle {shadow.Count}");
        }
    }

    private static void Switch(Bridge bridge, MacTable shadow, MemoryPort[] ports, PortSlot[] slots, int ingress, List<byte[]> burst, HashSet<(ulong, ushort)> learned)
    {
        BridgeCounters before = bridge.ReadCounters();
        var expected = new List<byte[]>[PortCount];
        for (int p = 0; p < PortCount; p++)
        {
            expected[p] = [];
        }

        var drops = new long[DropReasons.Count];
        var learns = new long[8];
        long forwarded = 0;
        long flooded = 0;
        var packets = new Packet[burst.Count];
        for (int i = 0; i < burst.Count; i++)
        {
            byte[] frame = burst[i];
            Program.Parser(frame); // scalar, vector and the reference rule agree on it
            if (!bridge.Pool.TryRentCopy(frame, out packets[i]))
            {
                throw new InvalidOperationException($"no buffer for frame {i} of {burst.Count} ({bridge.Pool.SmallAvailable} free): a leak");
            }

            Oracle(frame, ingress, shadow, expected, drops, learns, ref forwarded, ref flooded, learned);
        }

        bridge.Workers[0].SwitchBurst(slots[ingress], packets);
        for (int p = 0; p < PortCount; p++)
        {
            bridge.Workers[0].TransmitQueued(slots[p]);
            int k = 0;
            while (ports[p].TryTake(out Packet sent))
            {
                if (k >= expected[p].Count || !sent.Span.SequenceEqual(expected[p][k]))
                {
                    throw new InvalidOperationException($"p{p}'s output {k} is not what the oracle sends there ({expected[p].Count} frames)");
                }

                sent.Release();
                k++;
            }

            if (k != expected[p].Count)
            {
                throw new InvalidOperationException($"p{p} sent {k} frames, the oracle {expected[p].Count}");
            }
        }

        CheckCounters(before, bridge.ReadCounters(), ingress, burst.Count, expected, drops, learns, forwarded, flooded);
        if (bridge.Pool.SmallAvailable != bridge.Pool.SmallCount)
        {
            throw new InvalidOperationException($"{bridge.Pool.SmallCount - bridge.Pool.SmallAvailable} buffers not back in the pool after a burst");
        }

        burst.Clear();
    }

    /// <summary>What the worker must do with one frame, as the README's accounting and the learning rules say.</summary>
    private static void Oracle(byte[] frame, int ingress, MacTable shadow, List<byte[]>[] expected, long[] drops, long[] learns,
        ref long forwarded, ref long flooded, HashSet<(ulong, ushort)> learned)
    {
        FrameParser.Parse(frame, out FrameInfo info);
        if (info.Drop != DropReason.None)
        {
            drops[(int)info.Drop]++;
            return;
        }

        learns[(int)shadow.Learn(info.Source, info.VlanId, ingress)]++;
        learned.Add((info.Source, info.VlanId));
        if (info.Class == FrameClass.Unicast)
        {
            learned.Add((info.Destination, info.VlanId));
            int destination = shadow.Lookup(info.Destination, info.VlanId);
            if (destination == ingress)
            {
                drops[(int)DropReason.SamePort]++;
                return;
            }

            if ((uint)destination < PortCount)
            {
                expected[destination].Add(frame);
                forwarded++;
                return;
            }
        }

        for (int p = 0; p < PortCount; p++)
        {
            if (p != ingress)
            {
                expected[p].Add(frame);
            }
        }

        forwarded++;
        flooded++;
    }

    private static void CheckCounters(BridgeCounters before, BridgeCounters after, int ingress, int received, List<byte[]>[] expected,
        long[] drops, long[] learns, long forwarded, long flooded)
    {
        for (int p = 0; p < PortCount; p++)
        {
            PortCounters b = before.Ports[p];
            PortCounters a = after.Ports[p];
            bool isIn = p == ingress;
            Expect(p, "rx", a.RxFrames - b.RxFrames, isIn ? received : 0);
            Expect(p, "forwarded", a.Forwarded - b.Forwarded, isIn ? forwarded : 0);
            Expect(p, "flooded", a.Flooded - b.Flooded, isIn ? flooded : 0);
            Expect(p, "offered", a.TxOffered - b.TxOffered, expected[p].Count);
            Expect(p, "tx", a.TxFrames - b.TxFrames, expected[p].Count);
            for (int r = 1; r < DropReasons.Count; r++)
            {
                Expect(p, DropReasons.Name((DropReason)r), a.Dropped((DropReason)r) - b.Dropped((DropReason)r), isIn ? drops[r] : 0);
            }

            if (a.RxFrames != a.Forwarded + a.IngressDrops || a.TxOffered != a.TxFrames + a.EgressDrops)
            {
                throw new InvalidOperationException($"p{p}: rx {a.RxFrames} != forwarded {a.Forwarded} + ingress drops {a.IngressDrops}, or offered {a.TxOffered} != tx {a.TxFrames} + egress drops {a.EgressDrops}");
            }
        }

        Expect(-1, "learned", after.Learned - before.Learned, learns[(int)LearnResult.Learned] + learns[(int)LearnResult.LearnedEvicting]);
        Expect(-1, "moved", after.Moved - before.Moved, learns[(int)LearnResult.Moved] + learns[(int)LearnResult.MovedFlapping]);
        Expect(-1, "table-full", after.TableFull - before.TableFull, learns[(int)LearnResult.TableFull]);
        Expect(-1, "evicted", after.Evicted - before.Evicted, learns[(int)LearnResult.LearnedEvicting]);
        Expect(-1, "port-limit", after.PortLimit - before.PortLimit, learns[(int)LearnResult.PortLimit]);
        Expect(-1, "flaps", after.Flaps - before.Flaps, learns[(int)LearnResult.MovedFlapping]);

        static void Expect(int port, string counter, long moved, long want)
        {
            if (moved != want)
            {
                throw new InvalidOperationException($"{(port < 0 ? "bridge" : $"p{port}")} {counter} moved by {moved}, the oracle says {want}");
            }
        }
    }
}
