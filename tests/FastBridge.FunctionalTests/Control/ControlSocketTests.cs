using System.Net.Sockets;
using System.Runtime.InteropServices;
using FastBridge.Cli.Commands;
using FastBridge.Control;
using FastBridge.Interop;
using FastBridge.Ports;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Control;

/// <summary>The socket file's life: mode, removal, stale and live predecessors, and descriptors passed over it.</summary>
public sealed unsafe partial class ControlSocketTests
{
    [LibraryImport("libc", EntryPoint = "bind", SetLastError = true)]
    private static partial int Bind(int socket, byte* address, int length);

    /// <summary>Binds a raw socket to <paramref name="path"/> and closes it; unlike <see cref="Socket"/>, leaves the file.</summary>
    private static void BindAndClose(string path)
    {
        int fd = Libc.Socket(Libc.AF_UNIX, 1 | Libc.SOCK_CLOEXEC, 0); // SOCK_STREAM
        Assert.True(fd >= 0);
        byte* address = stackalloc byte[110];
        new Span<byte>(address, 110).Clear();
        *(ushort*)address = Libc.AF_UNIX;
        int length = System.Text.Encoding.UTF8.GetBytes(path, new Span<byte>(address + 2, 107));
        Assert.Equal(0, Bind(fd, address, 2 + length + 1));
        Libc.Close(fd);
    }

    [Fact]
    public void The_socket_is_mode_0600_and_removed_on_dispose()
    {
        string path;
        using (var rig = new ControlRig())
        {
            path = rig.SocketPath;
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }

        Assert.False(File.Exists(path));
    }

    [Fact]
    public void A_stale_socket_of_a_dead_server_is_replaced()
    {
        string path = ControlRig.UniqueSocketPath();
        BindAndClose(path); // what a killed server leaves: the file, and nobody listening (connect is refused)

        Assert.True(File.Exists(path));
        using var bridge = new Bridge(new BridgeOptions { Workers = 1 });
        using (ControlServer server = ControlServer.Start(bridge, path))
        {
            using ControlClient client = ControlClient.Connect(path);
            ControlRig.AssertOk(ControlRig.Ask(client, """{"verb":"status"}"""));
        }

        Assert.False(File.Exists(path));
    }

    [Fact]
    public void A_live_socket_is_not_stolen()
    {
        using var rig = new ControlRig();
        using var other = new Bridge(new BridgeOptions { Workers = 1 });
        var error = Assert.Throws<ControlSocketInUseException>(() => ControlServer.Start(other, rig.SocketPath));
        Assert.Contains("in use", error.Message);
        Assert.True(ControlServer.IsLive(rig.SocketPath));
        ControlRig.AssertOk(rig.Request("""{"verb":"status"}""")); // the first server still answers
    }

    [Fact]
    public void Its_directory_is_created_when_missing()
    {
        string directory = Path.Combine(Path.GetTempPath(), $"fbctl-dir-{Guid.NewGuid():N}");
        try
        {
            using var bridge = new Bridge(new BridgeOptions { Workers = 1 });
            using ControlServer server = ControlServer.Start(bridge, Path.Combine(directory, "fb.sock"));
            Assert.True(ControlServer.IsLive(server.SocketPath));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Descriptors_sent_without_a_request_that_takes_them_are_closed()
    {
        using var rig = new ControlRig();
        int* pair = stackalloc int[2];
        Assert.Equal(0, Libc.SocketPair(Libc.AF_UNIX, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0, pair));
        try
        {
            using ControlClient client = rig.Connect();
            // a status request does not take the fd: the server must close its copy
            ControlRig.AssertOk(ControlRig.Ask(client, """{"verb":"status"}""", pair[0]));
            // a datagram socket is not a TAP: port-add with it fails cleanly
            string error = ControlRig.AssertError(ControlRig.Ask(client, """{"verb":"port-add","name":"x","fd":true}""", pair[0]));
            Assert.Contains("not a TUN/TAP", error);
        }
        finally
        {
            Libc.Close(pair[0]);
            Libc.Close(pair[1]);
        }
    }

    [SkippableFact]
    public void A_tap_fd_handed_over_the_socket_becomes_a_port()
    {
        EndToEnd.RequirePrivileges();
        using var rig = new ControlRig();
        string name = TapRig.UniqueName();
        int fd = TapFds.Open(name);
        try
        {
            using ControlClient client = rig.Connect();
            var response = ControlRig.Ask(client, $$"""{"verb":"port-add","name":"vm-{{name}}","fd":true}""", fd);
            ControlRig.AssertOk(response);
            Assert.Equal("tap", response.GetProperty("port").GetProperty("kind").GetString());
            Assert.Equal(name, response.GetProperty("port").GetProperty("device").GetString());
        }
        finally
        {
            Libc.Close(fd); // the switch holds its own copy
        }

        var port = Assert.IsType<TapPort>(rig.Bridge.FindPort($"vm-{name}"));
        Assert.Equal(name, port.DeviceName);
        Assert.True(Directory.Exists($"/sys/class/net/{name}"));
        ControlRig.AssertOk(rig.Request($$"""{"verb":"port-del","name":"vm-{{name}}"}"""));
        Assert.True(EndToEnd.WaitFor(() => !Directory.Exists($"/sys/class/net/{name}"), ControlRig.Timeout), "the last fd of the TAP was not closed");
    }
}
