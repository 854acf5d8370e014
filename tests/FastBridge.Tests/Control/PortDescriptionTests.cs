using System.Text.Json;
using FastBridge.Control;
using FastBridge.Ports;
using FastBridge.Ports.VhostUser;

namespace FastBridge.Tests.Control;

/// <summary>
/// What port-list (and port-add, status) says about each port kind, pinned to the byte: the JSON a script reads must
/// not change when a port kind describes itself instead of the control layer checking its type.
/// </summary>
public sealed class PortDescriptionTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"fb-pd-{Guid.NewGuid():N}"[..20] + ".sock");
    private readonly Bridge _bridge = new(new BridgeOptions { Workers = 1, StormLimit = 0, PoolFrames = 1024 });

    public void Dispose() => _bridge.Dispose();

    [Fact]
    public void A_memory_port_is_described_by_its_kind_and_state_only()
    {
        var port = new MemoryPort("host");
        _bridge.AddPort(port);
        Assert.Equal(
            """{"name":"host","id":0,"kind":"memory","state":"up","policy":{"vlan":{"mode":"none"},"learning":true,"flood_unknown":true,"flood_multicast":true,"flood_broadcast":true,"isolated":false,"hairpin":false}}""",
            Json(ControlVerbs.Describe(_bridge, port)));
    }

    [Fact]
    public void A_vhost_user_port_shows_its_socket_its_frontend_and_its_features()
    {
        var port = new VhostUserPort("vm0", new VhostUserPortOptions { SocketPath = _path });
        _bridge.AddPort(port);
        Assert.Equal(
            $$$"""{"name":"vm0","id":0,"kind":"vhost-user","state":"down","reason":"no vhost-user frontend connected","device":"{{{_path}}}","features":"-","connected":false,"policy":{"vlan":{"mode":"none"},"learning":true,"flood_unknown":true,"flood_multicast":true,"flood_broadcast":true,"isolated":false,"hairpin":false}}""",
            Json(ControlVerbs.Describe(_bridge, port)));
    }

    [Fact]
    public void A_port_kind_the_engine_does_not_know_is_named_after_its_class()
    {
        var port = new MemoryPort("host");
        _bridge.AddPort(port);
        Assert.Equal("memory", port.Kind);
        Assert.Equal("memory", _bridge.ReadCounters().Ports[0].Kind);
    }

    private static string Json(PortInfo info)
    {
        string response = JsonSerializer.Serialize(new ControlResponse { Ok = true, Port = info }, ControlJson.Default.ControlResponse);
        using var document = JsonDocument.Parse(response);
        return document.RootElement.GetProperty("port").GetRawText();
    }
}
