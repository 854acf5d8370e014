using FastBridge.Ports.VhostUser;

namespace FastBridge.Tests.Ports.VhostUser;

/// <summary><c>--vhost-user-group</c> at the port: an unknown group is a clear error and leaves no socket behind.</summary>
public sealed class VhostUserSocketGroupTests
{
    [Fact]
    public void A_group_that_does_not_exist_is_refused_by_name_before_the_socket_is_created()
    {
        string path = Path.Combine(Path.GetTempPath(), $"fb-vg-{Guid.NewGuid():N}"[..18] + ".sock");
        var e = Assert.Throws<ArgumentException>(() => VhostUserPortSpec.Open("vm0", path, client: false, group: "fb-no-such-group", requireSealedMemory: false));
        Assert.Equal("group 'fb-no-such-group' does not exist (neither a group in /etc/group nor a numeric id)", e.Message);
        Assert.False(File.Exists(path));
    }

    [Theory]
    [InlineData("0", 0)]
    [InlineData("root", 0)]
    public void A_group_is_a_name_from_etc_group_or_a_number(string group, int id) =>
        Assert.Equal(id, VhostUserSocket.GroupId(group));
}
