using System.Text.Json;
using FastBridge.Ports;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Control;

/// <summary>The mirror verbs: mirror-add, mirror-list and mirror-del through the control protocol, validated.</summary>
public sealed class MirrorVerbTests
{
    [Fact]
    public void Mirror_add_list_and_del_work_live()
    {
        using var rig = new ControlRig();
        rig.Bridge.AddPort(new MemoryPort("p2"));

        JsonElement added = rig.Request("""{"verb":"mirror-add","mirror":{"name":"ids","from":["p0"],"to":"p2","direction":"rx","vlan":10}}""");
        ControlRig.AssertOk(added);
        JsonElement mirror = added.GetProperty("mirrors")[0];
        Assert.Equal("ids", mirror.GetProperty("name").GetString());
        Assert.Equal("rx", mirror.GetProperty("direction").GetString());
        Assert.Equal(10, mirror.GetProperty("vlan").GetInt32());

        ControlRig.AssertOk(rig.Request("""{"verb":"mirror-add","mirror":{"name":"all","from":["p0","p1"],"to":"p2"}}"""));
        JsonElement[] listed = [.. rig.Request("""{"verb":"mirror-list"}""").GetProperty("mirrors").EnumerateArray()];
        Assert.Equal(["ids", "all"], listed.Select(m => m.GetProperty("name").GetString()));
        Assert.Equal("both", listed[1].GetProperty("direction").GetString());
        Assert.Equal(["p0", "p1"], listed[1].GetProperty("from").EnumerateArray().Select(p => p.GetString()));
        Assert.False(listed[1].TryGetProperty("vlan", out _));

        ControlRig.AssertOk(rig.Request("""{"verb":"port-del","name":"p2"}"""));
        listed = [.. rig.Request("""{"verb":"mirror-list"}""").GetProperty("mirrors").EnumerateArray()];
        Assert.All(listed, m => Assert.Contains("output port p2 was removed", m.GetProperty("disabled").GetString(), StringComparison.Ordinal));

        ControlRig.AssertOk(rig.Request("""{"verb":"mirror-del","name":"ids"}"""));
        ControlRig.AssertOk(rig.Request("""{"verb":"mirror-del","name":"all"}"""));
        Assert.Equal(0, rig.Request("""{"verb":"mirror-list"}""").GetProperty("mirrors").GetArrayLength());
        rig.AssertForwarding();
    }

    [Theory]
    [InlineData("""{"verb":"mirror-add","mirror":{"name":"m","from":["p0"],"to":"nope"}}""", "no port named 'nope'")]
    [InlineData("""{"verb":"mirror-add","mirror":{"name":"m","from":["p0"],"to":"p0"}}""", "cannot be both a source and the output")]
    [InlineData("""{"verb":"mirror-add","mirror":{"name":"m","from":["p0"],"to":"p1","vlan":4095}}""", "VLAN 4095 is out of range")]
    [InlineData("""{"verb":"mirror-add","mirror":{"name":"m","from":["p0"],"to":"p1","direction":"up"}}""", "must be rx, tx or both")]
    [InlineData("""{"verb":"mirror-add","mirror":{"name":"m","to":"p1"}}""", "needs \"from\"")]
    [InlineData("""{"verb":"mirror-add","mirror":{"name":"m","from":["p0"]}}""", "needs \"to\"")]
    [InlineData("""{"verb":"mirror-add"}""", "needs \"mirror\"")]
    [InlineData("""{"verb":"mirror-del","name":"nope"}""", "no mirror named 'nope'")]
    public void Bad_mirror_requests_are_refused_and_change_nothing(string request, string reason)
    {
        using var rig = new ControlRig();
        Assert.Contains(reason, ControlRig.AssertError(rig.Request(request)));
        Assert.Empty(rig.Bridge.Mirrors);
        rig.AssertForwarding();
    }

    [Fact]
    public void A_duplicate_mirror_name_is_refused()
    {
        using var rig = new ControlRig();
        rig.Bridge.AddPort(new MemoryPort("p2"));
        ControlRig.AssertOk(rig.Request("""{"verb":"mirror-add","mirror":{"name":"m","from":["p0"],"to":"p2"}}"""));
        Assert.Contains("a mirror named 'm' already exists",
            ControlRig.AssertError(rig.Request("""{"verb":"mirror-add","mirror":{"name":"m","from":["p1"],"to":"p2"}}""")));
    }
}
