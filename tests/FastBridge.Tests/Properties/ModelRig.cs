using CsCheck;
using FastBridge.Buffers;
using FastBridge.Dataplane;
using FastBridge.Diagnostics;
using FastBridge.Frames;
using FastBridge.Ports;

namespace FastBridge.Tests.Properties;

/// <summary>
/// What the model tests (<see cref="BridgeModelTests"/>, <see cref="PolicyModelTests"/>) share: a bridge of memory
/// ports whose one worker is driven directly (not started), so each frame's outcome is known before the next one; the
/// stations and destinations the generators pick by number; and the checks against the <see cref="ReferenceBridge"/>.
/// </summary>
internal sealed class ModelRig : IDisposable
{
    /// <summary>Ports of the bridge (and of the model).</summary>
    public const int PortCount = 4;

    /// <param name="maxMacs">MAC table capacity (small ones make the table's defences answer).</param>
    /// <param name="maxMacsPerPort">Learning limit per port (0: none).</param>
    public ModelRig(int maxMacs = FastBridge.Switching.MacTable.DefaultCapacity, int maxMacsPerPort = 0)
    {
        Bridge = new Bridge(new BridgeOptions { Workers = 1, StormLimit = 0, PoolFrames = 1024, MaxMacs = maxMacs, MaxMacsPerPort = maxMacsPerPort });
        Ports = new MemoryPort[PortCount];
        for (int p = 0; p < PortCount; p++)
        {
            Ports[p] = new MemoryPort($"p{p}");
            Bridge.AddPort(Ports[p]);
        }

        Worker = Bridge.Workers[0];
    }

    public Bridge Bridge { get; }

    public MemoryPort[] Ports { get; }

    public Worker Worker { get; }

    /// <summary>Where a generated frame comes in, its source station and its destination (see <see cref="Destination"/>).</summary>
    public static Gen<(int Ingress, int Src, int Dst)> FrameEnds(int stations) =>
        Gen.Select(Gen.Int[0, PortCount - 1], Gen.Int[0, stations - 1], Gen.Int[-2, stations - 1]);

    /// <summary>Runs <paramref name="run"/> on 300 generated sequences of 1 to 80 operations (CsCheck shrinks a failing one).</summary>
    public static void Sample<TOp>(Gen<TOp> op, Action<TOp[]> run) => op.Array[1, 80].Sample(run, iter: 300);

    /// <summary>Generated station <paramref name="n"/> (0-based).</summary>
    public static MacAddress Station(int n) => Infrastructure.Stations.Address(n + 1);

    /// <summary>A generated destination: -1 broadcast, -2 a multicast group, else a station.</summary>
    public static MacAddress Destination(int dst) => dst switch
    {
        -1 => MacAddress.Broadcast,
        -2 => MacAddress.Parse("01:00:5e:00:00:01"),
        _ => Station(dst),
    };

    /// <summary>Switches <paramref name="frame"/> in from port <paramref name="ingress"/>; returns the copy each port still in the bridge transmitted.</summary>
    public Dictionary<int, byte[]> Switch(int ingress, byte[] frame)
    {
        var got = new Dictionary<int, byte[]>();
        foreach ((int p, List<byte[]> sent) in SwitchBurst(ingress, [frame]))
        {
            Assert.True(sent.Count == 1, $"p{p} got {sent.Count} copies");
            got[p] = sent[0];
        }

        return got;
    }

    /// <summary>
    /// Switches <paramref name="frames"/> in from port <paramref name="ingress"/> as one burst (at most
    /// <see cref="BridgeOptions.BurstSize"/>); returns, per port still in the bridge that transmitted any, what it
    /// transmitted, in order.
    /// </summary>
    public Dictionary<int, List<byte[]>> SwitchBurst(int ingress, byte[][] frames)
    {
        var packets = new Packet[frames.Length];
        for (int i = 0; i < frames.Length; i++)
        {
            Assert.True(Bridge.Pool.TryRentCopy(frames[i], out packets[i]));
        }

        Worker.SwitchBurst(Bridge.SlotOf(Ports[ingress])!, packets);
        var got = new Dictionary<int, List<byte[]>>();
        for (int p = 0; p < Ports.Length; p++)
        {
            if (Bridge.SlotOf(Ports[p]) is not { } slot)
            {
                continue;
            }

            Worker.TransmitQueued(slot);
            while (Ports[p].TryTake(out Packet sent))
            {
                if (!got.TryGetValue(p, out List<byte[]>? list))
                {
                    got[p] = list = [];
                }

                list.Add(sent.Span.ToArray());
                sent.Release();
            }
        }

        return got;
    }

    /// <summary>The MAC table holds, for each station and VLAN, the port the model learned it on (or nothing).</summary>
    public void AssertTableMatches(ReferenceBridge model, int stations, ushort[] vlans)
    {
        for (int s = 0; s < stations; s++)
        {
            foreach (ushort vlan in vlans)
            {
                int? want = model.PortOf(Station(s).Value, vlan);
                Assert.Equal(want is { } port ? Ports[port].Id : -1, Bridge.MacTable.Lookup(Station(s).Value, vlan));
            }
        }
    }

    /// <summary>
    /// Port <paramref name="p"/>'s ingress balances (received = forwarded + dropped), each ingress reason counted as
    /// <paramref name="drops"/> expects, and every copy offered to it is sent or dropped; returns its counters.
    /// </summary>
    public PortCounters AssertAccounting(int p, long[,] drops, long[] offered)
    {
        PortCounters c = Bridge.ReadCounters()[Ports[p].Name]!;
        Assert.Equal(c.RxFrames, c.Forwarded + c.IngressDrops);
        for (int r = 1; r < DropReasons.Count; r++)
        {
            if (DropReasons.IsIngress((DropReason)r))
            {
                Assert.True(drops[p, r] == c.Dropped((DropReason)r), $"p{p} {(DropReason)r}: expected {drops[p, r]}, counted {c.Dropped((DropReason)r)}");
            }
        }

        Assert.Equal(offered[p], c.TxOffered);
        Assert.Equal(c.TxOffered, c.TxFrames + c.EgressDrops);
        return c;
    }

    public void Dispose() => Bridge.Dispose();
}
