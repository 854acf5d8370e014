using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Cryptography;
using FastBridge.Cli.Demo;
using FastBridge.Tests.Guests;
using FastBridge.Tests.Infrastructure;
using FastBridge.Tests.VhostUser;

namespace FastBridge.Tests.QemuSocket;

/// <summary>
/// A QEMU guest on a FastBridge stream port (<c>-netdev stream</c>, unix socket) reaches a namespace host behind a TAP
/// (ping, and a megabyte of TCP); every frame the switch saw is delivered or dropped under a named reason; a QEMU that
/// is killed and started again gets its port back; hostile peers on another stream port (random lengths, a frame cut
/// short) and a second client on the guest's socket are disconnected with counted drops while the guest keeps working;
/// the sockets are 0600, or 0660 with the group given.
/// </summary>
[Collection(nameof(Hosts.EndToEndCollection))]
public sealed class StreamGuestTests(StreamGuestFixture rig) : IClassFixture<StreamGuestFixture>
{
    private static readonly TimeSpan s_transferTimeout = TimeSpan.FromSeconds(120);

    [SkippableFact]
    public void The_guest_pings_the_namespace_host_and_the_host_pings_the_guest()
    {
        rig.Boot.Require();
        GuestTraffic.AssertPings(rig.Guest, StreamGuestFixture.HostAddress, "ping to the namespace host", rig.Switch.Describe);
        (int code, string output) = rig.Host.TryExec($"ping -c 2 -W 5 {StreamGuestFixture.GuestAddress}");
        Assert.True(code == 0, rig.Switch.Describe(rig.Guest.Describe($"ping from the host failed:\n{output}")));
        Assert.Equal("stream", rig.Switch.PortEntry("g0").GetProperty("kind").GetString());
    }

    [SkippableFact]
    public void A_tcp_transfer_from_guest_to_host_arrives_intact()
    {
        rig.Boot.Require();
        GuestTraffic.AssertTransferToHost(rig.Guest, rig.Host, rig.Image.Busybox, StreamGuestFixture.HostAddress, 5011,
            s_transferTimeout, rig.Switch.Describe);
    }

    [SkippableFact]
    public void A_tcp_transfer_from_host_to_guest_arrives_intact()
    {
        rig.Boot.Require();
        GuestTraffic.AssertTransferFromHost(rig.Host, rig.Image.Busybox, rig.Guest, StreamGuestFixture.GuestAddress, 5012,
            s_transferTimeout, rig.Switch.Describe);
    }

    [SkippableFact]
    public void Every_frame_the_switch_saw_is_delivered_or_dropped_under_a_named_reason()
    {
        rig.Boot.Require();
        rig.Guest.Exec($"ping -c 3 -W 5 {StreamGuestFixture.HostAddress}");
        foreach (string port in (string[])["g0", rig.Tap])
        {
            var c = rig.Switch.Port(port);
            Assert.True(c.RxFrames > 0 && c.TxFrames > 0, $"{c}: moved nothing");
            Assert.True(c.Forwarded <= c.RxFrames && c.TxFrames <= c.TxOffered, c.ToString());
            Assert.Equal(c.TotalDrops, c.RxFrames - c.Forwarded + (c.TxOffered - c.TxFrames));
        }
    }

    [SkippableFact]
    public void A_guest_whose_qemu_is_killed_and_restarted_reconnects_and_reaches_the_host_again()
    {
        rig.Boot.Require();
        int oldPid = rig.Guest.Pid;
        QemuGuest guest = rig.RestartGuest();

        Assert.NotEqual(oldPid, guest.Pid);
        Assert.False(rig.Switch.Process.HasExited, rig.Switch.Describe("the switch exited when QEMU was killed"));
        GuestTraffic.AssertPings(guest, StreamGuestFixture.HostAddress, "ping to the host after the restart", rig.Switch.Describe);
        Assert.Equal("up", rig.Switch.PortEntry("g0").GetProperty("state").GetString());
    }

    [SkippableFact]
    public void Hostile_peers_are_disconnected_with_counted_drops_while_the_guest_keeps_working()
    {
        rig.Boot.Require();
        string path = rig.Folder.Path("h1");
        CliProcess add = rig.Switch.Cli($"port add h1 --stream {path}");
        Assert.True(add.ExitCode == 0, rig.Switch.Describe($"port add h1 --stream failed: {add.Stderr}"));
        try
        {
            // Random lengths: 0 or over 65,535, each after a few random good frames; then frames cut short by the end
            // of the stream. Each peer is disconnected with one bad-framing drop.
            int peers = 0;
            foreach (byte[] stream in HostileStreams())
            {
                using Socket peer = Connect(path);
                peer.Send(stream);
                peer.Shutdown(SocketShutdown.Send);
                Assert.True(WaitClosed(peer), rig.Switch.Describe($"hostile peer {peers} was not disconnected"));
                peers++;
                Assert.True(EndToEnd.WaitFor(() => rig.Switch.Port("h1").Drops.GetValueOrDefault("bad-framing") == peers, VhostSwitch.Timeout),
                    rig.Switch.Describe($"bad-framing is not {peers}: {rig.Switch.Port("h1")}"));
            }

            var h1 = rig.Switch.Port("h1");
            Assert.Equal(h1.TotalDrops, h1.RxFrames - h1.Forwarded + (h1.TxOffered - h1.TxFrames));
            GuestTraffic.AssertPings(rig.Guest, StreamGuestFixture.HostAddress, "ping while hostile peers came and went", rig.Switch.Describe);
        }
        finally
        {
            rig.Switch.Cli("port del h1");
        }
    }

    [SkippableFact]
    public void A_second_client_on_the_guests_socket_is_turned_away_and_the_guest_keeps_its_port()
    {
        rig.Boot.Require();
        using Socket intruder = Connect(rig.GuestSocket);
        try
        {
            intruder.Send(Framed(RandomNumberGenerator.GetBytes(60)));
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.Shutdown or SocketError.ConnectionReset)
        {
            // Turned away before it could send (EPIPE/ECONNRESET): the outcome under test, checked below.
        }

        Assert.True(WaitClosed(intruder), rig.Switch.Describe("a second client on g0's socket was not disconnected"));
        GuestTraffic.AssertPings(rig.Guest, StreamGuestFixture.HostAddress, "ping after a second client was turned away", rig.Switch.Describe);
        Assert.Equal("up", rig.Switch.PortEntry("g0").GetProperty("state").GetString());
    }

    [SkippableFact]
    public void The_sockets_are_0600_or_0660_with_the_group_given()
    {
        rig.Boot.Require();
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(rig.GuestSocket));

        string path = rig.Folder.Path("grp");
        CliProcess add = rig.Switch.Cli($"port add grp --stream {path} --socket-group 65534");
        Assert.True(add.ExitCode == 0, rig.Switch.Describe($"port add grp --stream --socket-group failed: {add.Stderr}"));
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

    private static IEnumerable<byte[]> HostileStreams()
    {
        byte[] frame = new byte[64];
        for (int i = 0; i < 4; i++)
        {
            var bytes = new List<byte>();
            for (int good = RandomNumberGenerator.GetInt32(4); good > 0; good--)
            {
                RandomNumberGenerator.Fill(frame);
                frame[0] = 0x02; // a locally administered unicast destination: nobody's, so flooded
                frame[6] = 0x02; // and a unicast source
                bytes.AddRange(Framed(frame));
            }

            uint length = i == 0 ? 0 : (uint)RandomNumberGenerator.GetInt32(65_536, int.MaxValue);
            var header = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(header, length);
            bytes.AddRange(header);
            bytes.AddRange(RandomNumberGenerator.GetBytes(RandomNumberGenerator.GetInt32(200)));
            yield return [.. bytes];
        }

        byte[] cut = Framed(RandomNumberGenerator.GetBytes(1000));
        foreach (int sent in (int[])[2, 4, 500])
        {
            yield return cut[..sent];
        }
    }

    private static byte[] Framed(byte[] frame)
    {
        var framed = new byte[4 + frame.Length];
        BinaryPrimitives.WriteUInt32BigEndian(framed, (uint)frame.Length);
        frame.CopyTo(framed, 4);
        return framed;
    }

    private static Socket Connect(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(path));
        return socket;
    }

    /// <summary>True once the switch has closed its end (a read returns 0 or fails), within the switch timeout.</summary>
    private static bool WaitClosed(Socket socket)
    {
        var buffer = new byte[4096];
        socket.ReceiveTimeout = (int)VhostSwitch.Timeout.TotalMilliseconds;
        try
        {
            while (socket.Receive(buffer) > 0)
            {
                // frames the switch flooded to this peer before it cut it off
            }

            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
        {
            return false;
        }
    }
}
