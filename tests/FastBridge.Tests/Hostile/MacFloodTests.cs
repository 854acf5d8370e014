using System.Diagnostics;
using FastBridge.Diagnostics;
using FastBridge.Frames;
using FastBridge.Ports;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Hostile;

/// <summary>
/// One million random source MACs from one port (a macof-style attack): the table never exceeds its capacity, memory
/// stays bounded, and two stations learned before the flood keep exchanging unicast that reaches only each other.
/// </summary>
/// <remarks>
/// The flood's destination is a static entry on the flooding port, so every flood frame is learned from and then
/// filtered (same-port): the test isolates the table pressure from delivery, and the victims' queues hold only their
/// own traffic. Both victims are learned before the flood, so the test holds whether a full table refuses new stations
/// (as now) or evicts from the port with the most entries (OVS's fair eviction; it must not evict static entries).
/// Memory bound (README, "Hostile input and faults"): every frame buffer is preallocated (16,384 x 2 KiB + 64 x 64 KiB,
/// about 36 MiB, touched lazily) and the MAC table has a fixed capacity (16 bytes a slot), so a flood can at most touch
/// the rest of the pool; the resident set may grow by less than 64 MiB during the flood and the managed heap by less
/// than 8 MiB (nothing is allocated per frame or per MAC).
/// </remarks>
[Collection(nameof(QuietCollection))]
public sealed class MacFloodTests
{
    internal const int FloodFrames = Infrastructure.Flood.Frames;
    private const long ResidentBound = 64L << 20;
    private const long ManagedBound = 8L << 20;
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(120);

    [Fact]
    public void A_million_random_sources_from_one_port_neither_overflow_the_table_nor_flood_the_victims()
    {
        using var bridge = new Bridge(new BridgeOptions { Workers = 2, StormLimit = 0 });
        var flooder = new MemoryPort("p0", queueSize: 4096);
        var alice = new MemoryPort("p1");
        var bob = new MemoryPort("p2");
        bridge.AddPort(flooder);
        bridge.AddPort(alice);
        bridge.AddPort(bob);
        bridge.Start();

        var aliceMac = MacAddress.Parse("02:a1:00:00:00:01");
        var bobMac = MacAddress.Parse("02:b0:00:00:00:02");
        var sink = MacAddress.Parse("02:5e:00:00:00:99");
        Assert.True(bridge.MacTable.AddStatic(sink, 0, flooder.Id));
        Exchange(alice, bob, aliceMac, bobMac, 0);
        Exchange(bob, alice, bobMac, aliceMac, 0);
        Assert.Equal(alice.Id, bridge.MacTable.Lookup(aliceMac.Value, 0));
        Assert.Equal(bob.Id, bridge.MacTable.Lookup(bobMac.Value, 0));
        while (flooder.TakeArray() is not null)
        {
            // the first frame was unknown unicast and flooded to p0 too: not part of the test
        }

        using var process = Process.GetCurrentProcess();
        long managedBefore = GC.GetTotalMemory(forceFullCollection: true);
        process.Refresh();
        long residentBefore = process.WorkingSet64;
        int capacity = bridge.MacTable.Capacity;

        int flooding = 1;
        int maxSeen = 0;
        long samples = 0;
        int exchanges = 0;
        var clock = Stopwatch.StartNew();
        Concurrently.Run(
            () =>
            {
                try
                {
                    Flood(flooder, sink);
                }
                finally
                {
                    Volatile.Write(ref flooding, 0);
                }
            },
            () =>
            {
                while (Volatile.Read(ref flooding) == 1)
                {
                    maxSeen = Math.Max(maxSeen, bridge.MacTable.Count);
                    samples++;
                }
            },
            () =>
            {
                // The victims talk before, during and after: at least 200 round trips, and on until the flood ends.
                for (int i = 1; i <= 200 || (Volatile.Read(ref flooding) == 1 && i < 1_000_000); i++)
                {
                    Exchange(alice, bob, aliceMac, bobMac, i);
                    Exchange(bob, alice, bobMac, aliceMac, i);
                    exchanges = i;
                }
            });
        clock.Stop();

        // The flood thread is done injecting; the switch may still be working through p0's queue.
        Assert.True(EndToEnd.WaitFor(() => bridge.ReadCounters()["p0"]!.RxFrames == flooder.Injected, s_timeout), "the switch did not take the whole flood");
        BridgeCounters counters = bridge.ReadCounters();
        process.Refresh();
        long residentGrowth = process.WorkingSet64 - residentBefore;
        long managedGrowth = GC.GetTotalMemory(forceFullCollection: true) - managedBefore;
        PortCounters p0 = counters["p0"]!;
        Console.WriteLine($"{FloodFrames} random sources in {clock.ElapsedMilliseconds} ms ({FloodFrames / clock.Elapsed.TotalSeconds:N0} frames/s); " +
            $"table max {maxSeen}/{capacity} over {samples} samples, now {counters.MacCount}; learned {counters.Learned}, table-full {counters.TableFull}; " +
            $"{exchanges} victim round trips; resident +{residentGrowth >> 10} KiB, managed +{managedGrowth >> 10} KiB");

        Assert.True(maxSeen <= capacity, $"the table held {maxSeen} entries, capacity {capacity}");
        Assert.True(counters.MacCount <= capacity);
        Assert.True(maxSeen > capacity / 2, $"the flood never filled the table (max {maxSeen})");
        Assert.True(samples > 100, "the table was hardly sampled during the flood");
        Assert.Equal(FloodFrames, p0.Dropped(DropReason.SamePort));
        Assert.Equal(p0.RxFrames, p0.Forwarded + p0.IngressDrops);
        Assert.Equal(0, flooder.Pending); // no victim frame was flooded to the attacker's port
        Assert.Equal(alice.Id, bridge.MacTable.Lookup(aliceMac.Value, 0));
        Assert.Equal(bob.Id, bridge.MacTable.Lookup(bobMac.Value, 0));
        Assert.True(residentGrowth < ResidentBound, $"resident set grew by {residentGrowth >> 20} MiB");
        Assert.True(managedGrowth < ManagedBound, $"managed heap grew by {managedGrowth >> 20} MiB");
    }

    private static void Flood(MemoryPort port, MacAddress sink)
    {
        Span<byte> frame = stackalloc byte[60];
        frame.Clear();
        sink.WriteTo(frame);
        frame[12] = 0x88;
        frame[13] = 0xb5;
        ulong state = 0x9E37_79B9_7F4A_7C15UL;
        var deadline = Stopwatch.StartNew();
        for (int i = 0; i < FloodFrames; i++)
        {
            // xorshift64: a fresh locally administered unicast source per frame, no allocation
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            ulong source = (state & 0xFFFF_FFFF_FFFCUL) | 0x02UL;
            new MacAddress(source).WriteTo(frame[6..]);
            while (!port.TryInject(frame))
            {
                Assert.True(deadline.Elapsed < s_timeout, $"the flood stalled at frame {i}");
                Thread.Yield();
            }
        }
    }

    /// <summary>Sends one frame from <paramref name="from"/> to <paramref name="to"/> and waits until it arrives there.</summary>
    private static void Exchange(MemoryPort from, MemoryPort to, MacAddress source, MacAddress destination, int sequence)
    {
        byte[] frame = FrameBuilder.Untagged(destination, source, seed: (byte)sequence);
        var deadline = Stopwatch.StartNew();
        while (!from.TryInject(frame))
        {
            Assert.True(deadline.Elapsed < s_timeout, "a victim could not inject");
            Thread.Yield();
        }

        byte[]? got;
        while ((got = to.TakeArray()) is null)
        {
            Assert.True(deadline.Elapsed < s_timeout, $"victim frame {sequence} never arrived");
            Thread.Yield();
        }

        Assert.True(got.AsSpan().SequenceEqual(frame), $"victim frame {sequence} arrived changed or out of order");
    }
}
