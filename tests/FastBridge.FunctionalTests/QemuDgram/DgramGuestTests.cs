using System.Net.Sockets;
using System.Security.Cryptography;
using FastBridge.Cli.Demo;
using FastBridge.Tests.Guests;
using FastBridge.Tests.Infrastructure;
using FastBridge.Tests.VhostUser;

namespace FastBridge.Tests.QemuDgram;

/// <summary>
/// A QEMU guest on a FastBridge dgram port (<c>-netdev dgram</c>, unix datagram sockets) reaches a namespace host
/// behind a TAP (ping, and a megabyte of TCP each way); every frame the switch saw is delivered or dropped under a named
/// reason; a QEMU that is killed and started again gets its port back; hostile senders (datagrams of random sizes,
/// empty, over 65,535 bytes; a second sender on the guest's socket) are counted drops while the guest keeps working;
/// the sockets are 0600, or 0660 with the group given.
/// </summary>
[Collection(nameof(Hosts.EndToEndCollection))]
public sealed class DgramGuestTests(DgramGuestFixture rig) : IClassFixture<DgramGuestFixture>
{
    private static readonly TimeSpan s_transferTimeout = TimeSpan.FromSeconds(120);

    [SkippableFact]
    public void The_guest_pings_the_namespace_host_and_the_host_pings_the_guest()
    {
        rig.Boot.Require();
        GuestTraffic.AssertPings(rig.Guest, DgramGuestFixture.HostAddress, "ping to the namespace host", rig.Switch.Describe);
        (int code, string output) = rig.Host.TryExec($"ping -c 2 -W 5 {DgramGuestFixture.GuestAddress}");
        Assert.True(code == 0, rig.Switch.Describe(rig.Guest.Describe($"ping from the host failed:\n{output}")));
        var g0 = rig.Switch.PortEntry("g0");
        Assert.Equal("dgram", g0.GetProperty("kind").GetString());
        Assert.Contains($"(peer {rig.GuestSocket})", g0.GetProperty("device").GetString());
    }

    [SkippableFact]
    public void A_tcp_transfer_from_guest_to_host_arrives_intact()
    {
        rig.Boot.Require();
        GuestTraffic.AssertTransferToHost(rig.Guest, rig.Host, rig.Image.Busybox, DgramGuestFixture.HostAddress, 5021,
            s_transferTimeout, rig.Switch.Describe);
    }

    [SkippableFact]
    public void A_tcp_transfer_from_host_to_guest_arrives_intact()
    {
        rig.Boot.Require();
        GuestTraffic.AssertTransferFromHost(rig.Host, rig.Image.Busybox, rig.Guest, DgramGuestFixture.GuestAddress, 5022,
            s_transferTimeout, rig.Switch.Describe);
    }

    [SkippableFact]
    public void Every_frame_the_switch_saw_is_delivered_or_dropped_under_a_named_reason()
    {
        rig.Boot.Require();
        rig.Guest.Exec($"ping -c 3 -W 5 {DgramGuestFixture.HostAddress}");
        foreach (string port in (string[])["g0", rig.Tap])
        {
            var c = rig.Switch.Port(port);
            Assert.True(c.RxFrames > 0 && c.TxFrames > 0, $"{c}: moved nothing");
            Assert.True(c.Forwarded <= c.RxFrames && c.TxFrames <= c.TxOffered, c.ToString());
            Assert.Equal(c.TotalDrops, c.RxFrames - c.Forwarded + (c.TxOffered - c.TxFrames));
        }
    }

    [SkippableFact]
    public void A_guest_whose_qemu_is_killed_and_restarted_gets_its_port_back_and_reaches_the_host_again()
    {
        rig.Boot.Require();
        int oldPid = rig.Guest.Pid;
        QemuGuest guest = rig.RestartGuest();

        Assert.NotEqual(oldPid, guest.Pid);
        Assert.False(rig.Switch.Process.HasExited, rig.Switch.Describe("the switch exited when QEMU was killed"));
        GuestTraffic.AssertPings(guest, DgramGuestFixture.HostAddress, "ping to the host after the restart", rig.Switch.Describe);
        Assert.Equal("up", rig.Switch.PortEntry("g0").GetProperty("state").GetString());
        Assert.True(rig.Switch.Port("g0").Drops.GetValueOrDefault("port-down") > 0, rig.Switch.Describe("no port-down drop while QEMU was away"));
    }

    [SkippableFact]
    public void Hostile_senders_are_counted_drops_while_the_guest_keeps_working()
    {
        rig.Boot.Require();
        string path = rig.Folder.Path("h1");
        CliProcess add = rig.Switch.Cli($"port add h1 --dgram {path}");
        Assert.True(add.ExitCode == 0, rig.Switch.Describe($"port add h1 --dgram failed: {add.Stderr}"));
        string own = rig.Folder.Path("h1peer");
        try
        {
            // A peer of h1 that sends datagrams of random sizes: empty, 1 to 65,535 bytes, or over 65,535.
            using Socket peer = Bound(own);
            int empty = 0, oversize = 0;
            for (int i = 0; i < 200; i++)
            {
                int size = RandomNumberGenerator.GetInt32(5) switch
                {
                    0 => 0,
                    1 => RandomNumberGenerator.GetInt32(65_536, 100_000),
                    _ => RandomNumberGenerator.GetInt32(1, 65_536),
                };
                byte[] datagram = RandomNumberGenerator.GetBytes(size);
                if (size >= 12)
                {
                    datagram[0] = 0x02; // nobody's unicast: flooded (to the guest too)
                    datagram[6] = 0x02; // a unicast source
                }

                peer.SendTo(datagram, new UnixDomainSocketEndPoint(path));
                _ = size == 0 ? empty++ : size > 65_535 ? oversize++ : 0;
            }

            // And a second sender on the guest's port: never its peer.
            using Socket intruder = Bound(rig.Folder.Path("intruder"));
            intruder.SendTo(RandomNumberGenerator.GetBytes(60), new UnixDomainSocketEndPoint(rig.SwitchSocket));

            Assert.True(EndToEnd.WaitFor(() => rig.Switch.Port("h1").RxFrames == 200, VhostSwitch.Timeout), rig.Switch.Describe($"h1 did not receive 200: {rig.Switch.Port("h1")}"));
            var h1 = rig.Switch.Port("h1");
            Assert.Equal(empty, h1.Drops.GetValueOrDefault("dgram-empty"));
            Assert.Equal(oversize, h1.Drops.GetValueOrDefault("dgram-oversize"));
            Assert.Equal(h1.TotalDrops, h1.RxFrames - h1.Forwarded + (h1.TxOffered - h1.TxFrames));
            Assert.True(EndToEnd.WaitFor(() => rig.Switch.Port("g0").Drops.GetValueOrDefault("dgram-foreign-sender") >= 1, VhostSwitch.Timeout),
                rig.Switch.Describe("the second sender on g0's socket was not counted"));
            Assert.Contains($"(peer {rig.GuestSocket})", rig.Switch.PortEntry("g0").GetProperty("device").GetString());
            GuestTraffic.AssertPings(rig.Guest, DgramGuestFixture.HostAddress, "ping while hostile senders wrote", rig.Switch.Describe);
        }
        finally
        {
            rig.Switch.Cli("port del h1");
        }
    }

    [SkippableFact]
    public void The_sockets_are_0600_or_0660_with_the_group_given()
    {
        rig.Boot.Require();
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(rig.SwitchSocket));

        string path = rig.Folder.Path("grp");
        CliProcess add = rig.Switch.Cli($"port add grp --dgram {path} --socket-group 65534");
        Assert.True(add.ExitCode == 0, rig.Switch.Describe($"port add grp --dgram --socket-group failed: {add.Stderr}"));
        try
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite,
                File.GetUnixFileMode(path));
            Assert.Equal("65534", NetworkNamespace.Run("stat", $"-c %g {path}").Trim());
        }
        finally
        {
            rig.Switch.Cli("port del grp");
        }
    }

    private static Socket Bound(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified) { SendBufferSize = 1 << 20 };
        socket.Bind(new UnixDomainSocketEndPoint(path));
        return socket;
    }
}
