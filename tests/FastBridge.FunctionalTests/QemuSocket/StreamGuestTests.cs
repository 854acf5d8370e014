using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Cryptography;
using FastBridge.Cli.Demo;
using FastBridge.Tests.Guests;
using FastBridge.Tests.Infrastructure;
using FastBridge.Tests.VhostUser;

namespace FastBridge.Tests.QemuSocket;

/// <summary>
/// A QEMU guest on a FastBridge stream port (<c>-netdev stream</c>, unix socket): the tests every socket port kind
/// shares (<see cref="SocketGuestTests{TFixture}"/>), and hostile peers on another stream port (random lengths, a frame
/// cut short) and a second client on the guest's socket disconnected with counted drops while the guest keeps working.
/// </summary>
[Collection(nameof(Hosts.EndToEndCollection))]
public sealed class StreamGuestTests(StreamGuestFixture rig) : SocketGuestTests<StreamGuestFixture>(rig), IClassFixture<StreamGuestFixture>
{
    protected override int TransferPort => 5011;

    [SkippableFact]
    public void Hostile_peers_are_disconnected_with_counted_drops_while_the_guest_keeps_working()
    {
        Rig.Boot.Require();
        string path = Rig.Folder.Path("h1");
        CliProcess add = Rig.Switch.Cli($"port add h1 --stream {path}");
        Assert.True(add.ExitCode == 0, Rig.Switch.Describe($"port add h1 --stream failed: {add.Stderr}"));
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
                Assert.True(WaitClosed(peer), Rig.Switch.Describe($"hostile peer {peers} was not disconnected"));
                peers++;
                Assert.True(EndToEnd.WaitFor(() => Rig.Switch.Port("h1").Drops.GetValueOrDefault("bad-framing") == peers, VhostSwitch.Timeout),
                    Rig.Switch.Describe($"bad-framing is not {peers}: {Rig.Switch.Port("h1")}"));
            }

            var h1 = Rig.Switch.Port("h1");
            Assert.Equal(h1.TotalDrops, h1.RxFrames - h1.Forwarded + (h1.TxOffered - h1.TxFrames));
            GuestTraffic.AssertPings(Rig.Guest, Rig.HostAddress, "ping while hostile peers came and went", Rig.Switch.Describe);
        }
        finally
        {
            Rig.Switch.Cli("port del h1");
        }
    }

    [SkippableFact]
    public void A_second_client_on_the_guests_socket_is_turned_away_and_the_guest_keeps_its_port()
    {
        Rig.Boot.Require();
        using Socket intruder = Connect(Rig.GuestSocket);
        try
        {
            intruder.Send(Framed(RandomNumberGenerator.GetBytes(60)));
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.Shutdown or SocketError.ConnectionReset)
        {
            // Turned away before it could send (EPIPE/ECONNRESET): the outcome under test, checked below.
        }

        Assert.True(WaitClosed(intruder), Rig.Switch.Describe("a second client on g0's socket was not disconnected"));
        GuestTraffic.AssertPings(Rig.Guest, Rig.HostAddress, "ping after a second client was turned away", Rig.Switch.Describe);
        Assert.Equal("up", Rig.Switch.PortEntry("g0").GetProperty("state").GetString());
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
