using System.Diagnostics;
using FastBridge.Ports.VhostUser;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.VhostUser;

/// <summary>
/// <c>fastbridge run --vhost-user PATH --vhost-user-group GROUP</c>: the socket is created 0660 and owned by the group
/// (so a <c>libvirt-qemu</c> user in it can connect); a group that does not exist stops the run with a clear error.
/// </summary>
[Collection(nameof(Hosts.EndToEndCollection))]
public sealed class VhostUserGroupTests
{
    [SkippableFact]
    public void The_socket_gets_mode_0660_and_the_group()
    {
        EndToEnd.RequirePrivileges(); // chown to a group we are not in
        using var folder = new SocketFolder();
        string socket = folder.Path("vg0");
        using var sw = new VhostSwitch($"--vhost-user {socket} --vhost-user-group daemon");
        Assert.Equal($"660 {VhostUserSocket.GroupId("daemon")}", Stat(socket));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite,
            File.GetUnixFileMode(socket));
    }

    [SkippableFact]
    public void A_group_that_does_not_exist_stops_the_run_with_a_clear_error()
    {
        EndToEnd.RequirePrivileges();
        using var folder = new SocketFolder();
        string socket = folder.Path("vg1");
        using var cli = CliProcess.Run($"run --vhost-user {socket} --vhost-user-group fb-no-such-group --control {ControlRig.UniqueSocketPath()}",
            VhostSwitch.Timeout);
        Assert.NotEqual(0, cli.ExitCode);
        Assert.Contains($"fastbridge: vhost-user {socket}: group 'fb-no-such-group' does not exist", cli.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(socket));
    }

    private static string Stat(string path)
    {
        using var stat = Process.Start(new ProcessStartInfo("stat", ["-c", "%a %g", path]) { RedirectStandardOutput = true })!;
        string output = stat.StandardOutput.ReadToEnd().Trim();
        stat.WaitForExit();
        return output;
    }
}
