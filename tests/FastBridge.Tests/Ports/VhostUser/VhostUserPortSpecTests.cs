using FastBridge.Ports.VhostUser;

namespace FastBridge.Tests.Ports.VhostUser;

public sealed class VhostUserPortSpecTests
{
    [Theory]
    [InlineData("/run/vm1.sock", "vm1", "/run/vm1.sock")]
    [InlineData("web=/run/a.sock", "web", "/run/a.sock")]
    [InlineData("/run/x=y/vm2.sock", "vm2", "/run/x=y/vm2.sock")]
    [InlineData("vm3", "vm3", "vm3")]
    public void The_port_is_named_after_the_socket_file_unless_a_name_is_given(string spec, string name, string path) =>
        Assert.Equal((name, path), VhostUserPortSpec.Parse(spec));

    [Fact]
    public void A_header_with_a_wrong_version_or_an_oversized_payload_is_refused()
    {
        var bytes = new byte[12];
        new VhostHeader(VhostRequest.SetOwner, 1, 0).Write(bytes);
        Assert.True(VhostHeader.TryParseHeader(bytes, out VhostHeader header, out _));
        Assert.Equal(VhostRequest.SetOwner, header.Request);
        new VhostHeader(VhostRequest.SetOwner, 2, 0).Write(bytes);
        Assert.False(VhostHeader.TryParseHeader(bytes, out _, out _));
        new VhostHeader(VhostRequest.SetOwner, 1, VhostProtocol.MaxPayload + 1).Write(bytes);
        Assert.False(VhostHeader.TryParseHeader(bytes, out _, out _));
        Assert.False(VhostHeader.TryParseHeader(bytes.AsSpan(0, 11), out _, out _));
    }
}
