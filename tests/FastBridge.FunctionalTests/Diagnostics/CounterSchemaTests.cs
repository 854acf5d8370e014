using System.Diagnostics.Metrics;
using System.Text.Json;
using System.Text.RegularExpressions;
using FastBridge.Cli.Output;
using FastBridge.Control;
using FastBridge.Diagnostics;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Diagnostics;

/// <summary>
/// Adding a counter is one edit: every entry of <see cref="CounterSchema"/> reaches the stats JSON, the CLI's counter
/// table, the meter and docs/counters.md without anything else being written.
/// </summary>
public sealed partial class CounterSchemaTests
{
    [Fact]
    public void Every_counter_and_drop_reason_has_a_unique_kebab_case_name_and_a_description()
    {
        Assert.Equal(Enum.GetValues<Counter>().Length + Enum.GetValues<DropReason>().Length - 1, CounterSchema.All.Count);
        Assert.Equal(CounterSchema.All.Count, CounterSchema.All.Select(d => d.Name).Distinct().Count());
        Assert.Equal(CounterSchema.All.Count, CounterSchema.All.Select(d => d.Slot).Distinct().Count());
        foreach (CounterDefinition d in CounterSchema.All)
        {
            Assert.Matches(KebabCase(), d.Name);
            Assert.False(string.IsNullOrWhiteSpace(d.Description), d.Name);
        }

        foreach (Counter counter in Enum.GetValues<Counter>())
        {
            Assert.Equal(counter, CounterSchema.Of(counter).Counter);
        }

        foreach (DropReason reason in Enum.GetValues<DropReason>().Skip(1))
        {
            Assert.Equal(reason, CounterSchema.Of(reason)!.Reason);
            Assert.NotEqual(DropDirection.None, CounterSchema.Of(reason)!.Drop);
            Assert.Equal(CounterSchema.Of(reason)!.Name, DropReasons.Name(reason));
        }
    }

    [Fact]
    public void Every_counter_is_a_member_of_the_stats_json()
    {
        using var rig = new ControlRig();
        JsonElement stats = rig.Request("""{"verb":"stats"}""");
        ControlRig.AssertOk(stats);
        JsonElement port = stats.GetProperty("ports")[0];
        JsonElement table = stats.GetProperty("table");
        foreach (CounterDefinition d in CounterSchema.All)
        {
            if (d.Reason is not null)
            {
                Assert.True(port.GetProperty("drops").TryGetProperty(d.JsonName, out _), $"drops.{d.JsonName}");
                continue;
            }

            if (d.Scope == CounterScope.Port)
            {
                Assert.True(port.TryGetProperty(d.JsonName, out JsonElement value) && value.ValueKind == JsonValueKind.Number, $"ports[].{d.JsonName}");
            }

            if (d.AtBridgeLevel)
            {
                Assert.True(table.TryGetProperty(d.JsonName, out JsonElement value) && value.ValueKind == JsonValueKind.Number, $"table.{d.JsonName}");
            }
        }
    }

    [Fact]
    public void The_stats_json_round_trips_through_the_client_types()
    {
        using var h = new BridgeHarness(2);
        h.Inject(0, BridgeHarness.Frame(FastBridge.Frames.MacAddress.Broadcast, Stations.Address(1)));
        h.Inject(1, new byte[10]);
        h.Settle();
        BridgeCounters snapshot = h.Bridge.ReadCounters();
        int fd = -1;
        ControlResponse response = ControlVerbs.Execute(h.Bridge, new ControlRequest { Verb = "stats" }, ref fd,
            Microsoft.Extensions.ObjectPool.ObjectPool.Create<List<FastBridge.Switching.MacEntry>>());
        string json = JsonSerializer.Serialize(response, ControlJson.Default.ControlResponse);
        ControlResponse parsed = JsonSerializer.Deserialize(json, ControlJson.Default.ControlResponse)!;

        CounterReport fromJson = CounterReport.From(parsed);
        CounterReport fromSnapshot = CounterReport.From(snapshot);
        foreach (CounterDefinition d in CounterSchema.All)
        {
            for (int p = 0; p < 2; p++)
            {
                if (d.Scope == CounterScope.Port)
                {
                    Assert.Equal(fromSnapshot.Ports[p].Read(d), fromJson.Ports[p].Read(d));
                }
            }

            if (d.AtBridgeLevel)
            {
                Assert.Equal(fromSnapshot.ReadBridge(d), fromJson.ReadBridge(d));
            }
        }

        Assert.Equal(1, fromJson.Ports[0].Read(CounterSchema.Of(Counter.Flooded)));
        Assert.Equal(1, fromJson.Ports[1].Read(CounterSchema.Of(DropReason.Runt)!));
    }

    [Fact]
    public void Every_counter_is_in_the_table_the_details_or_the_bridge_line()
    {
        // Every value distinct and non-zero, so every drop reason shows in the drops column too.
        var port = new PortCounterRow("p0", 0, "up", d => 1000 + d.Slot);
        var report = new CounterReport([port], 3, 8192, 300, d => 2000 + d.Slot);
        var previous = new CounterReport([port with { Read = d => d.Slot }], 3, 8192, 300, d => d.Slot);
        foreach (CounterReport? before in new[] { null, previous })
        {
            var output = new StringWriter();
            CounterTable.Write(output, report, before, before is null ? 0 : 1.0);
            string[] lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            string[] headers = [.. lines.Where(l => l.StartsWith("port", StringComparison.Ordinal)).SelectMany(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))];
            string rows = string.Join("\n", lines.Where(l => l.StartsWith("p0", StringComparison.Ordinal)));
            string bridge = lines.Single(l => l.StartsWith("mac table:", StringComparison.Ordinal));
            Assert.Contains("drops", headers);
            foreach (CounterDefinition d in CounterSchema.All)
            {
                if (d.Reason is not null)
                {
                    Assert.Contains($"{d.Name}={1000 + d.Slot}", rows);
                    continue;
                }

                if (d.Scope == CounterScope.Port)
                {
                    Assert.Contains(d.Name, headers);
                    Assert.Contains((1000 + d.Slot).ToString(System.Globalization.CultureInfo.InvariantCulture), rows);
                    if (before is not null && d.Rate && d.Column)
                    {
                        Assert.Contains(d.RateHeader, headers);
                    }
                }

                if (d.AtBridgeLevel)
                {
                    Assert.Contains($" {d.Name} {2000 + d.Slot}", bridge);
                }
            }
        }
    }

    [Fact]
    public void Every_counter_is_an_instrument_of_the_meter()
    {
        using var h = new BridgeHarness(2);
        var published = new HashSet<string>();
        var reasons = new HashSet<string>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, h.Bridge.Metrics.Meter))
            {
                published.Add(instrument.Name);
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, _, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "reason")
                {
                    reasons.Add((string)tag.Value!);
                }
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();

        foreach (CounterDefinition d in CounterSchema.All)
        {
            if (d.Reason is not null)
            {
                Assert.Contains(d.Name, reasons);
                Assert.Equal("port.drops", d.MeterName);
                continue;
            }

            if (d.Scope == CounterScope.Port)
            {
                Assert.Contains(d.MeterName, published);
            }

            if (d.AtBridgeLevel)
            {
                Assert.Contains(d.BridgeMeterName!, published);
            }
        }

        // The names README lists stay.
        foreach (string name in new[] { "port.rx.frames", "port.rx.bytes", "port.tx.frames", "port.tx.bytes", "port.flooded", "port.drops",
            "flooded", "mac.learned", "mac.moved", "mac.aged", "mac.table_full", "mac.evicted", "mac.port_limit", "mac.flaps", "mac.entries", "mac.capacity" })
        {
            Assert.Contains(name, published);
        }
    }

    [Fact]
    public void Docs_counters_md_lists_every_counter()
    {
        string doc = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "counters.md"));
        foreach (CounterDefinition d in CounterSchema.All)
        {
            Assert.Contains($"`{d.Name}`", doc);
        }
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "FastBridge.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("FastBridge.sln not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex("^[a-z]+(-[a-z]+)*$")]
    private static partial Regex KebabCase();
}
