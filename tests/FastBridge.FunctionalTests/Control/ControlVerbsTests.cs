using System.Text.Json;
using FastBridge.Frames;
using FastBridge.Ports;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Control;

/// <summary>Each verb of the control protocol against an in-process switch with in-memory ports.</summary>
public sealed class ControlVerbsTests
{
    [Fact]
    public void Status_and_port_list_describe_the_switch()
    {
        using var rig = new ControlRig();
        JsonElement status = rig.Request("""{"verb":"status"}""");
        ControlRig.AssertOk(status);
        Assert.Equal("fb0", status.GetProperty("name").GetString());
        Assert.Equal(2, status.GetProperty("workers").GetInt32());

        JsonElement list = rig.Request("""{"verb":"port-list"}""");
        ControlRig.AssertOk(list);
        JsonElement[] ports = [.. list.GetProperty("ports").EnumerateArray()];
        Assert.Equal(["p0", "p1"], ports.Select(p => p.GetProperty("name").GetString()));
        Assert.All(ports, p => Assert.Equal("memory", p.GetProperty("kind").GetString()));
        Assert.All(ports, p => Assert.Equal("up", p.GetProperty("state").GetString()));
    }

    [Fact]
    public void Fdb_show_lists_learned_stations_and_filters_by_port_and_vlan()
    {
        using var rig = new ControlRig();
        Assert.True(EndToEnd.WaitFor(() => rig.Bridge.MacTable.Count >= 2, ControlRig.Timeout));
        JsonElement all = rig.Request("""{"verb":"fdb-show"}""");
        ControlRig.AssertOk(all);
        JsonElement[] entries = [.. all.GetProperty("entries").EnumerateArray()];
        Assert.Contains(entries, e => e.GetProperty("mac").GetString() == Stations.Address(1).ToString() && e.GetProperty("port").GetString() == "p0"
            && e.GetProperty("type").GetString() == "dynamic" && e.GetProperty("vlan").GetInt32() == 0 && e.GetProperty("age").GetInt32() >= 0);
        Assert.Contains(entries, e => e.GetProperty("mac").GetString() == Stations.Address(2).ToString() && e.GetProperty("port").GetString() == "p1");

        JsonElement onP1 = rig.Request("""{"verb":"fdb-show","port":"p1"}""");
        Assert.All(onP1.GetProperty("entries").EnumerateArray(), e => Assert.Equal("p1", e.GetProperty("port").GetString()));
        JsonElement inVlan7 = rig.Request("""{"verb":"fdb-show","vlan":7}""");
        Assert.Empty(inVlan7.GetProperty("entries").EnumerateArray());
        Assert.Contains("no port named", ControlRig.AssertError(rig.Request("""{"verb":"fdb-show","port":"nope"}""")));
    }

    [Fact]
    public void Fdb_add_del_and_flush_edit_the_table()
    {
        using var rig = new ControlRig();
        ControlRig.AssertOk(rig.Request("""{"verb":"fdb-add","mac":"02:aa:00:00:00:01","port":"p1","vlan":5}"""));
        Assert.Equal(rig.P1.Id, rig.Bridge.MacTable.Lookup(MacAddress.Parse("02:aa:00:00:00:01").Value, 5));
        JsonElement shown = rig.Request("""{"verb":"fdb-show","vlan":5}""");
        JsonElement entry = Assert.Single(shown.GetProperty("entries").EnumerateArray());
        Assert.Equal("static", entry.GetProperty("type").GetString());

        Assert.True(EndToEnd.WaitFor(() => rig.Bridge.MacTable.Count >= 3, ControlRig.Timeout));
        JsonElement flushed = rig.Request("""{"verb":"fdb-flush","port":"p1"}""");
        ControlRig.AssertOk(flushed);
        Assert.True(flushed.GetProperty("removed").GetInt32() >= 1);
        Assert.Equal(rig.P1.Id, rig.Bridge.MacTable.Lookup(MacAddress.Parse("02:aa:00:00:00:01").Value, 5)); // static stays

        ControlRig.AssertOk(rig.Request("""{"verb":"fdb-del","mac":"02:aa:00:00:00:01","vlan":5}"""));
        Assert.Equal(-1, rig.Bridge.MacTable.Lookup(MacAddress.Parse("02:aa:00:00:00:01").Value, 5));
        Assert.Contains("no entry", ControlRig.AssertError(rig.Request("""{"verb":"fdb-del","mac":"02:aa:00:00:00:01","vlan":5}""")));
        ControlRig.AssertOk(rig.Request("""{"verb":"fdb-flush"}"""));
    }

    [Theory]
    [InlineData("""{"verb":"fdb-add","mac":"02:aa:00:00:00:01","port":"nope"}""", "no port named 'nope'")]
    [InlineData("""{"verb":"fdb-add","mac":"zz","port":"p0"}""", "not a MAC address")]
    [InlineData("""{"verb":"fdb-add","mac":"ff:ff:ff:ff:ff:ff","port":"p0"}""", "multicast")]
    [InlineData("""{"verb":"fdb-add","mac":"02:aa:00:00:00:01","port":"p0","vlan":4096}""", "VLAN 4096")]
    [InlineData("""{"verb":"fdb-add","port":"p0"}""", "needs \"mac\"")]
    [InlineData("""{"verb":"fdb-add","mac":"02:aa:00:00:00:01"}""", "needs \"port\"")]
    [InlineData("""{"verb":"port-del","name":"nope"}""", "no port named")]
    [InlineData("""{"verb":"port-del"}""", "needs \"name\"")]
    [InlineData("""{"verb":"port-add","name":"p0"}""", "already in bridge")]
    [InlineData("""{"verb":"port-add","name":"x","fd":true}""", "no descriptor")]
    [InlineData("""{"verb":"config-aging","value":-1}""", "config-aging needs")]
    [InlineData("""{"verb":"config-max-macs","value":0}""", "config-max-macs needs")]
    [InlineData("""{"verb":"config-max-macs"}""", "config-max-macs needs")]
    public void Bad_arguments_get_an_error_response(string request, string error)
    {
        using var rig = new ControlRig();
        Assert.Contains(error, ControlRig.AssertError(rig.Request(request)));
    }

    [Fact]
    public void Stats_counters_move_while_traffic_flows()
    {
        using var rig = new ControlRig();
        JsonElement first = rig.Request("""{"verb":"stats"}""");
        ControlRig.AssertOk(first);
        rig.AssertForwarding();
        JsonElement second = rig.Request("""{"verb":"stats"}""");
        JsonElement p0Before = first.GetProperty("ports")[0];
        JsonElement p0After = second.GetProperty("ports")[0];
        Assert.Equal("p0", p0After.GetProperty("name").GetString());
        Assert.True(p0After.GetProperty("rx_frames").GetInt64() > p0Before.GetProperty("rx_frames").GetInt64());
        Assert.True(p0After.GetProperty("tx_bytes").GetInt64() > p0Before.GetProperty("tx_bytes").GetInt64());
        Assert.Equal(FastBridge.Diagnostics.DropReasons.Count - 1, p0After.GetProperty("drops").EnumerateObject().Count()); // every reason, zero or not
        JsonElement table = second.GetProperty("table");
        Assert.True(table.GetProperty("learned").GetInt64() >= 2);
        foreach (string member in new[] { "size", "capacity", "aging_seconds", "moved", "aged", "flooded", "table_full", "evicted", "port_limit", "flaps" })
        {
            Assert.True(table.TryGetProperty(member, out _), member);
        }
    }

    [Fact]
    public void Config_aging_takes_effect_live_and_entries_age_out()
    {
        using var rig = new ControlRig();
        ControlRig.AssertOk(rig.Request("""{"verb":"fdb-add","mac":"02:aa:00:00:00:09","port":"p0"}"""));
        ControlRig.AssertOk(rig.Request("""{"verb":"fdb-add","mac":"02:aa:00:00:00:0a","port":"p0"}"""));
        ControlRig.AssertOk(rig.Request("""{"verb":"fdb-del","mac":"02:aa:00:00:00:0a"}"""));

        // a dynamic entry that nobody refreshes: learned once from a frame of a third station
        Assert.True(rig.P0.TryInject(BridgeHarness.Frame(Stations.Address(2), Stations.Address(3))));
        Assert.True(EndToEnd.WaitFor(() => rig.Bridge.MacTable.Lookup(Stations.Address(3).Value, 0) == rig.P0.Id, ControlRig.Timeout));

        JsonElement set = rig.Request("""{"verb":"config-aging","value":1}""");
        ControlRig.AssertOk(set);
        Assert.Equal(1, set.GetProperty("table").GetProperty("aging_seconds").GetInt32());
        Assert.Equal(1, rig.Bridge.MacTable.AgingSeconds);
        Assert.True(EndToEnd.WaitFor(() => rig.Bridge.MacTable.Lookup(Stations.Address(3).Value, 0) == -1, ControlRig.Timeout),
            "the idle station did not age out");
        Assert.Equal(rig.P0.Id, rig.Bridge.MacTable.Lookup(MacAddress.Parse("02:aa:00:00:00:09").Value, 0)); // static never ages
        rig.AssertForwarding();
    }

    [Fact]
    public void Config_max_macs_resizes_the_table_live()
    {
        using var rig = new ControlRig();
        JsonElement set = rig.Request("""{"verb":"config-max-macs","value":100}""");
        ControlRig.AssertOk(set);
        Assert.Equal(100, set.GetProperty("table").GetProperty("capacity").GetInt32());
        Assert.Equal(100, rig.Bridge.MacTable.Capacity);
        rig.AssertForwarding();
    }

    [Fact]
    public void Port_del_removes_a_port_live()
    {
        using var rig = new ControlRig();
        var extra = new MemoryPort("extra");
        rig.Bridge.AddPort(extra);
        ControlRig.AssertOk(rig.Request("""{"verb":"port-del","name":"extra"}"""));
        Assert.Null(rig.Bridge.FindPort("extra"));
        JsonElement list = rig.Request("""{"verb":"port-list"}""");
        Assert.Equal(2, list.GetProperty("ports").GetArrayLength());
        rig.AssertForwarding();
    }
}
