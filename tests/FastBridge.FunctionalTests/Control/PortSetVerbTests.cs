using System.Text.Json;
using FastBridge.Switching;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Control;

/// <summary>The port-set verb: VLANs and flags through the control protocol, validated, shown by port-list.</summary>
public sealed class PortSetVerbTests
{
    [Fact]
    public void Port_set_changes_vlans_and_flags_live_and_port_list_shows_them()
    {
        using var rig = new ControlRig();
        Assert.True(EndToEnd.WaitFor(() => rig.Bridge.MacTable.Lookup(Stations.Address(1).Value, 0) == 0, ControlRig.Timeout));

        JsonElement set = rig.Request("""{"verb":"port-set","name":"p0","policy":{"vlan":{"trunk":"10,20,100-199","native":5},"isolated":true}}""");
        ControlRig.AssertOk(set);
        Assert.True(set.GetProperty("removed").GetInt32() >= 1);                 // its VLAN 0 entry went
        JsonElement vlan = set.GetProperty("port").GetProperty("policy").GetProperty("vlan");
        Assert.Equal("trunk", vlan.GetProperty("mode").GetString());
        Assert.Equal("5,10,20,100-199", vlan.GetProperty("trunk").GetString());
        Assert.Equal(5, vlan.GetProperty("native").GetInt32());

        ControlRig.AssertOk(rig.Request("""{"verb":"port-set","name":"p1","policy":{"learning":false,"hairpin":true}}"""));
        JsonElement[] ports = [.. rig.Request("""{"verb":"port-list"}""").GetProperty("ports").EnumerateArray()];
        JsonElement p0 = ports[0].GetProperty("policy"), p1 = ports[1].GetProperty("policy");
        Assert.True(p0.GetProperty("isolated").GetBoolean());
        Assert.True(p0.GetProperty("learning").GetBoolean());
        Assert.False(p1.GetProperty("learning").GetBoolean());
        Assert.True(p1.GetProperty("hairpin").GetBoolean());
        Assert.Equal("none", p1.GetProperty("vlan").GetProperty("mode").GetString());
        Assert.True(rig.Bridge.GetPortPolicy("p0")!.Vlan.Carries(150));

        ControlRig.AssertOk(rig.Request("""{"verb":"port-set","name":"p0","policy":{"vlan":{"mode":"none"},"isolated":false}}"""));
        Assert.True(rig.Bridge.GetPortPolicy("p0")!.IsDefault);
        rig.AssertForwarding();                                                  // p0 and p1 transparent again
    }

    [Theory]
    [InlineData("""{"verb":"port-set","name":"p0","policy":{"vlan":{"access":4095}}}""", "out of range")]
    [InlineData("""{"verb":"port-set","name":"p0","policy":{"vlan":{"access":0}}}""", "out of range")]
    [InlineData("""{"verb":"port-set","name":"p0","policy":{"vlan":{"trunk":"10-5"}}}""", "not a range")]
    [InlineData("""{"verb":"port-set","name":"p0","policy":{"vlan":{"access":10,"trunk":"20"}}}""", "takes one of")]
    [InlineData("""{"verb":"port-set","name":"p0","policy":{"vlan":{"native":10}}}""", "takes one of")]
    [InlineData("""{"verb":"port-set","name":"p0","policy":{"vlan":{"trunk":"10"}, "color":1}}""", "color")]
    [InlineData("""{"verb":"port-set","name":"nope","policy":{"learning":false}}""", "no port named")]
    [InlineData("""{"verb":"port-set","name":"p0"}""", "needs \"policy\"")]
    public void Bad_port_set_requests_are_refused_and_change_nothing(string request, string reason)
    {
        using var rig = new ControlRig();
        Assert.Contains(reason, ControlRig.AssertError(rig.Request(request)));
        Assert.True(rig.Bridge.GetPortPolicy("p0")!.IsDefault);
    }
}
