using System.Net.Sockets;
using System.Security.Cryptography;
using FastBridge.Cli.Demo;
using FastBridge.Tests.Guests;
using FastBridge.Tests.Infrastructure;
using FastBridge.Tests.VhostUser;

namespace FastBridge.Tests.QemuDgram;

/// <summary>
/// A QEMU guest on a FastBridge dgram port (<c>-netdev dgram</c>, unix datagram sockets): the tests every socket port
/// kind shares (<see cref="SocketGuestTests{TFixture}"/>), a port-down count while its QEMU was away, and hostile senders
/// (datagrams of random sizes, empty, over 65,535 bytes; a second sender on the guest's socket) as counted drops while
/// the guest keeps working.
/// </summary>
[Collection(nameof(Hosts.EndToEndCollection))]
public sealed class DgramGuestTests(DgramGuestFixture rig) : SocketGuestTests<DgramGuestFixture>(rig), IClassFixture<DgramGuestFixture>
{
    protected override int TransferPort => 5021;

    /// <summary>While QEMU was away the frames for it were counted, as port-down.</summary>
    protected override void AssertAfterRestart() =>
        Assert.True(Rig.Switch.Port("g0").Drops.GetValueOrDefault("port-down") > 0, Rig.Switch.Describe("no port-down drop while QEMU was away"));

    [SkippableFact]
    public void Hostile_senders_are_counted_drops_while_the_guest_keeps_working()
    {
        Rig.Boot.Require();
        string path = Rig.Folder.Path("h1");
        CliProcess add = Rig.Switch.Cli($"port add h1 --dgram {path}");
        Assert.True(add.ExitCode == 0, Rig.Switch.Describe($"port add h1 --dgram failed: {add.Stderr}"));
        string own = Rig.Folder.Path("h1peer");
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
            using Socket intruder = Bound(Rig.Folder.Path("intruder"));
            intruder.SendTo(RandomNumberGenerator.GetBytes(60), new UnixDomainSocketEndPoint(Rig.SwitchSocket));

            Assert.True(EndToEnd.WaitFor(() => Rig.Switch.Port("h1").RxFrames == 200, VhostSwitch.Timeout), Rig.Switch.Describe($"h1 did not receive 200: {Rig.Switch.Port("h1")}"));
            var h1 = Rig.Switch.Port("h1");
            Assert.Equal(empty, h1.Drops.GetValueOrDefault("dgram-empty"));
            Assert.Equal(oversize, h1.Drops.GetValueOrDefault("dgram-oversize"));
            Assert.Equal(h1.TotalDrops, h1.RxFrames - h1.Forwarded + (h1.TxOffered - h1.TxFrames));
            Assert.True(EndToEnd.WaitFor(() => Rig.Switch.Port("g0").Drops.GetValueOrDefault("dgram-foreign-sender") >= 1, VhostSwitch.Timeout),
                Rig.Switch.Describe("the second sender on g0's socket was not counted"));
            Assert.Contains($"(peer {Rig.GuestSocket})", Rig.Switch.PortEntry("g0").GetProperty("device").GetString());
            GuestTraffic.AssertPings(Rig.Guest, Rig.HostAddress, "ping while hostile senders wrote", Rig.Switch.Describe);
        }
        finally
        {
            Rig.Switch.Cli("port del h1");
        }
    }

    private static Socket Bound(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified) { SendBufferSize = 1 << 20 };
        socket.Bind(new UnixDomainSocketEndPoint(path));
        return socket;
    }
}
