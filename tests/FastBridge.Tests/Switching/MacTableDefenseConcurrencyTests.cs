using System.Diagnostics;
using FastBridge.Switching;
using FastBridge.Tests.Infrastructure;
using static FastBridge.Tests.Infrastructure.Stations;

namespace FastBridge.Tests.Switching;

/// <summary>
/// A full table under a flood while other ports keep learning, moving and being swept: no exceptions, the count
/// never passes the capacity, and the per-port counts add up once the table is quiet.
/// </summary>
public class MacTableDefenseConcurrencyTests
{
    private const ushort Vlan = 1;
    private const int Capacity = 2048;

    [Fact]
    public void Learners_on_several_ports_while_one_port_floods_a_full_table()
    {
        var table = new MacTable(capacity: Capacity, agingSeconds: 0);
        var violations = new Violations();
        var clock = Stopwatch.StartNew();
        int running = 4;

        Action Flooder() => () =>
        {
            for (int i = 0; i < 5_000_000 && clock.Elapsed < Concurrently.Budget; i++)
            {
                LearnResult result = table.Learn(Flood.Mac(i), Vlan, 1);
                if (result is not (LearnResult.Learned or LearnResult.LearnedEvicting or LearnResult.TableFull or LearnResult.Refreshed))
                {
                    violations.Add($"flooder: {result}");
                }
            }

            Interlocked.Decrement(ref running);
        };

        // Port p keeps 600 stations of its own, some of which also appear on the next port (moves and flaps).
        Action Learner(int port) => () =>
        {
            for (int round = 0; round < 10_000 && clock.Elapsed < Concurrently.Budget; round++)
            {
                for (int k = 0; k < 600; k++)
                {
                    int station = (port * 1000) + k;
                    LearnResult result = table.Learn(Mac(station), Vlan, port);
                    if (result is LearnResult.Static or LearnResult.PortLimit)
                    {
                        violations.Add($"port {port}: {result}");
                    }

                    if (k % 10 == 0)
                    {
                        table.Learn(Mac(((port % 3) + 2) * 1000 + k), Vlan, port);
                    }
                }
            }

            Interlocked.Decrement(ref running);
        };

        Action Housekeeper() => () =>
        {
            var flaps = new List<FlapEvent>();
            while (Volatile.Read(ref running) > 0)
            {
                int count = table.Count;
                if (count > Capacity)
                {
                    violations.Add($"Count {count} > Capacity");
                }

                table.Sweep();
                table.DrainFlaps(flaps);
                flaps.Clear();
                for (int port = 1; port <= 4; port++)
                {
                    if (table.CountOnPort(port) < 0)
                    {
                        violations.Add($"port {port} count {table.CountOnPort(port)}");
                    }
                }
            }
        };

        Concurrently.Run(Flooder(), Learner(2), Learner(3), Learner(4), Housekeeper());

        violations.AssertNone();
        Assert.True(table.Count <= Capacity);
        table.Sweep(); // repairs duplicate copies the races may have left
        int sum = 0;
        for (int port = 1; port <= 4; port++)
        {
            sum += table.CountOnPort(port);
        }

        Assert.Equal(table.Count, sum);
        AssertCounts.Exact(table);
    }

    [Fact]
    public void Control_operations_racing_evictions_keep_counts_exact()
    {
        var table = new MacTable(capacity: 512, agingSeconds: 0);
        var clock = Stopwatch.StartNew();
        int running = 2;

        Action Learner(int port, Func<int, ulong> mac) => () =>
        {
            for (int i = 0; i < 2_000_000 && clock.Elapsed < Concurrently.Budget; i++)
            {
                table.Learn(mac(i % 5000), Vlan, port);
            }

            Interlocked.Decrement(ref running);
        };

        Action Control() => () =>
        {
            int round = 0;
            while (Volatile.Read(ref running) > 0)
            {
                // Statics overwrite dynamic entries the learners may be evicting at that moment.
                // (It may find the table full: learners hold transient reservations.)
                var station = new FastBridge.Frames.MacAddress(Flood.Mac(round % 5000));
                table.AddStatic(station, Vlan, 9);
                table.Remove(station, Vlan);
                if (round % 50 == 0)
                {
                    table.Flush(round % 100 == 0 ? 1 : 2);
                }

                if (round % 200 == 0)
                {
                    table.Resize(round % 400 == 0 ? 256 : 512);
                }

                round++;
            }
        };

        Concurrently.Run(Learner(1, Flood.Mac), Learner(2, Mac), Control());

        table.Sweep();
        AssertCounts.Exact(table);
    }

    [Fact]
    public void Learning_under_a_full_table_flood_allocates_nothing()
    {
        var table = new MacTable(capacity: 1024, agingSeconds: 0);
        int sink = FloodAndLearn(table, 0); // warm-up: JIT, tiering, the table fills
        sink += FloodAndLearn(table, 1);

        long before = GC.GetAllocatedBytesForCurrentThread();
        sink += FloodAndLearn(table, 2);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.True(sink > 0);
    }

    /// <summary>Port 1 floods, port 2 learns new stations (evicting) and one station flaps; returns evictions.</summary>
    private static int FloodAndLearn(MacTable table, int pass)
    {
        int evictions = 0;
        for (int i = 0; i < 50_000; i++)
        {
            table.Learn(Flood.Mac((pass * 50_000) + i), Vlan, 1);
            if (i % 100 == 0)
            {
                if (table.Learn(Mac((pass * 1000) + (i / 100)), Vlan, 2) == LearnResult.LearnedEvicting)
                {
                    evictions++;
                }

                table.Learn(Mac(999_999), Vlan, 3 + ((i / 100) % 2));
            }
        }

        return evictions;
    }
}
