using System.Diagnostics;
using FastBridge.Switching;
using FastBridge.Tests.Infrastructure;
using static FastBridge.Tests.Infrastructure.Stations;

namespace FastBridge.Tests.Switching;

/// <summary>
/// Stress scenarios: several learners and readers (and housekeeping or control) at once, each bounded by a time
/// budget and an iteration count; invariants are checked inside the threads and after the join.
/// </summary>
public class MacTableConcurrencyTests
{
    private const int Learners = 4;
    private const ushort Vlan = 1;
    private const int StaticPort = 7;

    private static int PortOf(int learner) => 100 + learner;

    // Key k belongs to learner k % 4; every third key is shared with the next learner too.
    private static int Primary(int key) => key % Learners;

    private static bool IsShared(int key) => key % 3 == 0;

    private static int Secondary(int key) => (key + 1) % Learners;

    private static bool Owns(int learner, int key) => Primary(key) == learner || (IsShared(key) && Secondary(key) == learner);

    private static bool WasUsedFor(int key, int port) =>
        port == PortOf(Primary(key)) || (IsShared(key) && port == PortOf(Secondary(key)));

    [Fact]
    public void Learners_and_readers_on_overlapping_keys_agree()
    {
        const int Keys = 8192;
        var table = new MacTable(capacity: 2 * Keys, agingSeconds: 0);
        var violations = new Violations();
        var clock = Stopwatch.StartNew();
        int learning = Learners;

        Action Learner(int learner) => () =>
        {
            for (int round = 0; round < 2_000 && clock.Elapsed < Concurrently.Budget; round++)
            {
                for (int k = 0; k < Keys; k++)
                {
                    if (Owns(learner, k))
                    {
                        LearnResult result = table.Learn(Mac(k), Vlan, PortOf(learner));
                        if (result is LearnResult.TableFull or LearnResult.Static)
                        {
                            violations.Add($"learner {learner} key {k}: {result}");
                        }
                    }
                }
            }

            Interlocked.Decrement(ref learning);
        };

        Action Reader() => () =>
        {
            for (int round = 0; round < 100_000 && Volatile.Read(ref learning) > 0; round++)
            {
                for (int k = 0; k < Keys; k++)
                {
                    int port = table.Lookup(Mac(k), Vlan);
                    if (port != -1 && !WasUsedFor(k, port))
                    {
                        violations.Add($"key {k} looked up on port {port}, never used for it");
                    }
                }

                if (table.Count > table.Capacity)
                {
                    violations.Add($"Count {table.Count} > Capacity {table.Capacity}");
                }
            }
        };

        Concurrently.Run(Learner(0), Learner(1), Learner(2), Learner(3), Reader(), Reader());

        violations.AssertNone();
        Assert.Equal(Keys, table.Count);
        Assert.Equal(Keys, MacTableInternals.LiveSlots(table));
        for (int k = 0; k < Keys; k++)
        {
            int port = table.Lookup(Mac(k), Vlan);
            if (IsShared(k) ? !WasUsedFor(k, port) : port != PortOf(Primary(k)))
            {
                Assert.Fail($"key {k} is on port {port} after the run");
            }
        }
    }

    [Fact]
    public void Racing_learners_never_overfill_the_table()
    {
        const int Capacity = 1000;
        const int Keys = 3000;
        var table = new MacTable(capacity: Capacity, agingSeconds: 0);
        var violations = new Violations();
        var clock = Stopwatch.StartNew();
        int learning = Learners;

        // Learner t learns keys [500 t, 500 t + 1500): neighbours overlap, all together they are 3x the capacity.
        Action Learner(int learner) => () =>
        {
            for (int round = 0; round < 200 && clock.Elapsed < Concurrently.Budget; round++)
            {
                for (int k = 500 * learner; k < (500 * learner) + 1500; k++)
                {
                    table.Learn(Mac(k), Vlan, PortOf(learner));
                }
            }

            Interlocked.Decrement(ref learning);
        };

        Action Watcher() => () =>
        {
            for (int round = 0; round < 10_000_000 && Volatile.Read(ref learning) > 0; round++)
            {
                int count = table.Count;
                if (count > Capacity)
                {
                    violations.Add($"Count {count} > Capacity {Capacity}");
                }
            }
        };

        Concurrently.Run(Learner(0), Learner(1), Learner(2), Learner(3), Watcher());

        violations.AssertNone();
        Assert.Equal(Capacity, table.Count);
        Assert.Equal(Capacity, MacTableInternals.LiveSlots(table));
        int found = 0;
        for (int k = 0; k < Keys; k++)
        {
            if (table.Lookup(Mac(k), Vlan) != -1)
            {
                found++;
            }
        }

        Assert.Equal(Capacity, found);
    }

    [Fact]
    public void Sweeping_and_flushing_while_learning_keeps_counts_exact_and_statics_intact()
    {
        const int Capacity = 512;
        const int Keys = 2048;
        const int Statics = 8;
        var time = new ManualTimeProvider();
        var table = new MacTable(capacity: Capacity, agingSeconds: 3, time: time);
        for (int s = 0; s < Statics; s++)
        {
            Assert.True(table.AddStatic(Address(10_000 + s), Vlan, StaticPort));
        }

        var violations = new Violations();
        var clock = Stopwatch.StartNew();
        int learning = Learners;

        Action Learner(int learner) => () =>
        {
            for (int round = 0; round < 2_000 && clock.Elapsed < Concurrently.Budget; round++)
            {
                for (int k = 0; k < Keys; k++)
                {
                    if (Owns(learner, k) && table.Learn(Mac(k), Vlan, PortOf(learner)) == LearnResult.Static)
                    {
                        violations.Add($"key {k} reported static");
                    }
                }
            }

            Interlocked.Decrement(ref learning);
        };

        Action Reader() => () =>
        {
            for (int round = 0; round < 1_000_000 && Volatile.Read(ref learning) > 0; round++)
            {
                for (int k = 0; k < Keys; k++)
                {
                    int port = table.Lookup(Mac(k), Vlan);
                    if (port != -1 && !WasUsedFor(k, port))
                    {
                        violations.Add($"key {k} looked up on port {port}, never used for it");
                    }
                }

                for (int s = 0; s < Statics; s++)
                {
                    int port = table.Lookup(Mac(10_000 + s), Vlan);
                    if (port != StaticPort)
                    {
                        violations.Add($"static {s} looked up on port {port}");
                    }
                }
            }
        };

        long sweeps = 0;
        Action Housekeeper() => () =>
        {
            for (int round = 0; round < 1_000_000 && Volatile.Read(ref learning) > 0; round++)
            {
                time.Advance(TimeSpan.FromSeconds(1));
                table.Tick();
                table.Sweep();
                sweeps++;
                if (round % 7 == 0)
                {
                    table.Flush(port: PortOf(round % Learners));
                }

                if (round % 5 == 0)
                {
                    table.Remove(Address(round % Keys), Vlan);
                }

                if (table.Count > table.Capacity)
                {
                    violations.Add($"Count {table.Count} > Capacity {table.Capacity}");
                }
            }
        };

        Concurrently.Run(Learner(0), Learner(1), Learner(2), Learner(3), Reader(), Housekeeper());

        violations.AssertNone();
        Assert.True(sweeps > 0);
        Assert.Equal(MacTableInternals.LiveSlots(table), table.Count); // no reservation leaked, none lost
        Assert.InRange(table.Count, Statics, Capacity);

        time.Advance(TimeSpan.FromSeconds(10));
        table.Tick();
        table.Sweep();

        Assert.Equal(Statics, table.Count);
        Assert.Equal(Statics, MacTableInternals.LiveSlots(table));
        Assert.True(table.AgedTotal > 0);
        for (int s = 0; s < Statics; s++)
        {
            Assert.Equal(StaticPort, table.Lookup(Mac(10_000 + s), Vlan));
        }

        // Learning still works after the storm: every key of a single learner is found on its port.
        for (int k = 0; k < Capacity - Statics; k++)
        {
            Assert.Equal(LearnResult.Learned, table.Learn(Mac(k), Vlan, PortOf(Primary(k))));
        }

        for (int k = 0; k < Capacity - Statics; k++)
        {
            Assert.Equal(PortOf(Primary(k)), table.Lookup(Mac(k), Vlan));
        }
    }

    [Fact]
    public void Resizing_while_learning_never_loses_static_entries()
    {
        const int Keys = 2048;
        const int Statics = 16;
        var table = new MacTable(capacity: 4096, agingSeconds: 0);
        for (int s = 0; s < Statics; s++)
        {
            Assert.True(table.AddStatic(Address(10_000 + s), Vlan, StaticPort));
        }

        var violations = new Violations();
        var clock = Stopwatch.StartNew();
        int learning = 2;

        Action Learner(int learner) => () =>
        {
            for (int round = 0; round < 2_000 && clock.Elapsed < Concurrently.Budget; round++)
            {
                for (int k = 0; k < Keys; k++)
                {
                    if (Owns(learner, k))
                    {
                        table.Learn(Mac(k), Vlan, PortOf(learner));
                    }
                }
            }

            Interlocked.Decrement(ref learning);
        };

        Action Reader() => () =>
        {
            for (int round = 0; round < 1_000_000 && Volatile.Read(ref learning) > 0; round++)
            {
                for (int s = 0; s < Statics; s++)
                {
                    int port = table.Lookup(Mac(10_000 + s), Vlan);
                    if (port != StaticPort)
                    {
                        violations.Add($"static {s} looked up on port {port}");
                    }
                }

                for (int k = 0; k < Keys; k += 7)
                {
                    int port = table.Lookup(Mac(k), Vlan);
                    if (port != -1 && !WasUsedFor(k, port))
                    {
                        violations.Add($"key {k} looked up on port {port}, never used for it");
                    }
                }
            }
        };

        int resizes = 0;
        Action Controller() => () =>
        {
            for (int round = 0; round < 100_000 && Volatile.Read(ref learning) > 0; round++)
            {
                table.Resize(round % 2 == 0 ? 256 : 4096);
                resizes++;
            }
        };

        Concurrently.Run(Learner(0), Learner(1), Reader(), Controller());

        violations.AssertNone();
        Assert.True(resizes > 0);
        Assert.Equal(MacTableInternals.LiveSlots(table), table.Count);
        Assert.True(table.Count <= table.Capacity);
        for (int s = 0; s < Statics; s++)
        {
            Assert.Equal(StaticPort, table.Lookup(Mac(10_000 + s), Vlan));
        }
    }
}
