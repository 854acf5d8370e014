using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FastBridge.Buffers;
using FastBridge.Diagnostics;
using FastBridge.Ports.Vxlan;

namespace FastBridge.Tests.Ports.Vxlan;

/// <summary>
/// A VXLAN port on 127.0.0.1 and plain UDP sockets on other loopback addresses playing its remote VTEPs, on a random
/// tunnel port (other tests of the machine may use 4789). Drives the port's Receive and Transmit directly.
/// </summary>
internal sealed class VxlanLoopbackRig : IDisposable
{
    public static readonly IPAddress Local = IPAddress.Parse("127.0.0.1");

    private readonly List<Socket> _peers = [];

    public VxlanLoopbackRig(Func<VxlanPortOptions, VxlanPortOptions>? configure = null, int remoteCount = 2)
    {
        Port = Random.Shared.Next(20000, 30000);
        var remotes = new List<IPAddress>();
        for (int i = 0; i < remoteCount; i++)
        {
            remotes.Add(IPAddress.Parse($"127.0.0.{i + 2}"));
        }

        var options = new VxlanPortOptions { Vni = 42, Local = Local, Remotes = remotes, DestinationPort = Port, UnderlayMtu = 1500 };
        VxlanPort = VxlanPort.Open("vx0", configure?.Invoke(options) ?? options);
        foreach (IPAddress remote in remotes)
        {
            Peer(remote);
        }
    }

    public int Port { get; }

    public VxlanPort VxlanPort { get; }

    public PacketPool Pool { get; } = new(256, 4);

    /// <summary>A UDP socket on <paramref name="address"/>:Port (made on first use), as a remote VTEP or a stranger.</summary>
    public Socket Peer(IPAddress address)
    {
        foreach (Socket s in _peers)
        {
            if (((IPEndPoint)s.LocalEndPoint!).Address.Equals(address))
            {
                return s;
            }
        }

        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(address, Port));
        socket.ReceiveTimeout = 5000;
        _peers.Add(socket);
        return socket;
    }

    /// <summary>Sends <paramref name="payload"/> (a VXLAN datagram's UDP payload) from <paramref name="from"/> to the port.</summary>
    public void SendFrom(IPAddress from, byte[] payload) => Peer(from).SendTo(payload, new IPEndPoint(Local, Port));

    /// <summary>A well-formed VXLAN payload of <paramref name="inner"/> in <paramref name="vni"/>.</summary>
    public static byte[] Encapsulate(byte[] inner, int vni, byte flags = 0x08)
    {
        var datagram = new byte[8 + inner.Length];
        datagram[0] = flags;
        datagram[4] = (byte)(vni >> 16);
        datagram[5] = (byte)(vni >> 8);
        datagram[6] = (byte)vni;
        inner.CopyTo(datagram, 8);
        return datagram;
    }

    /// <summary>Calls Receive (at least once: it also applies queued edits) until it returns frames or the port counted <paramref name="drops"/> datagrams as dropped (5 s at most).</summary>
    public List<byte[]> ReceiveUntil(int frames, long drops = 0)
    {
        var got = new List<byte[]>();
        var burst = new Packet[32];
        var clock = Stopwatch.StartNew();
        do
        {
            int n = VxlanPort.Receive(Pool, burst);
            for (int i = 0; i < n; i++)
            {
                got.Add(burst[i].Span.ToArray());
                burst[i].Release();
            }

            if (n == 0)
            {
                Thread.Yield();
            }
        }
        while (clock.Elapsed < TimeSpan.FromSeconds(5) && (got.Count < frames || TotalReceiveDrops() < drops));

        return got;
    }

    public long TotalReceiveDrops() => VxlanPort.ReceiveDrops.Sum();

    public long Drops(DropReason reason) => VxlanPort.ReceiveDrops[(int)reason];

    /// <summary>Transmits <paramref name="frames"/> through the port; returns each frame's outcome.</summary>
    public DropReason[] Transmit(params byte[][] frames)
    {
        var packets = new Packet[frames.Length];
        for (int i = 0; i < frames.Length; i++)
        {
            Assert.True(Pool.TryRentCopy(frames[i], out packets[i]));
        }

        var outcome = new DropReason[frames.Length];
        VxlanPort.Transmit(packets, outcome);
        foreach (Packet p in packets)
        {
            p.Release();
        }

        return outcome;
    }

    /// <summary>The next datagram a peer got, with where it came from; null after the timeout.</summary>
    public static (byte[] Payload, IPEndPoint From)? Next(Socket peer, int timeoutMs = 5000)
    {
        if (!peer.Poll(timeoutMs * 1000, SelectMode.SelectRead))
        {
            return null;
        }

        var buffer = new byte[70000];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        int n = peer.ReceiveFrom(buffer, ref from);
        return (buffer[..n], (IPEndPoint)from);
    }

    public void Dispose()
    {
        VxlanPort.Dispose();
        foreach (Socket s in _peers)
        {
            s.Dispose();
        }

        Pool.Dispose();
    }
}
