using System.Net;
using FastBridge.Buffers;
using FastBridge.Diagnostics;
using FastBridge.Ports.Vxlan;

namespace FastBridge.Fuzz;

/// <summary>
/// The <c>vxlan</c> target: the input is a datagram arriving at a VXLAN port's socket. Byte 0 picks the source (a
/// configured remote, the other one, a stranger, or an address of the other family); the rest is the UDP payload. It
/// goes through the port's own receive checks and decapsulation (<see cref="VxlanPort.Inject"/>: scattered as recvmmsg
/// scatters, cut with MSG_TRUNC when too long). Invariants: a stranger's datagram is always dropped as
/// unknown-remote; an accepted frame is an Ethernet frame no longer than the receive buffer, tagged exactly when its
/// VNI is the mapped one; the remote table only ever names configured remotes. Any exception is a crash. One port
/// (VNI 42 untagged, VLAN 10 = VNI 1010) serves every input: its table fills up, which is fuzzed too.
/// </summary>
internal static class VxlanDecapTarget
{
    private static readonly IPAddress[] s_remotes = [IPAddress.Parse("127.0.0.2"), IPAddress.Parse("127.0.0.3")];
    private static VxlanPort? s_port;
    private static PacketPool? s_pool;

    public static Action<byte[]>? For(string target) => target == "vxlan" ? Run : null;

    public static void Run(byte[] input)
    {
        if (input.Length < 1)
        {
            return;
        }

        s_pool ??= new PacketPool(64, 4);
        s_port ??= VxlanPort.Open("vx0", new VxlanPortOptions
        {
            Vni = 42,
            VlanMap = new Dictionary<int, int> { [10] = 1010 },
            Local = IPAddress.Loopback,
            Remotes = s_remotes,
            DestinationPort = Random.Shared.Next(40000, 50000),
            UnderlayMtu = 1500,
            HashSourcePort = false,
        });

        int choice = input[0] & 3;
        IPAddress from = choice switch
        {
            0 or 1 => s_remotes[choice],
            2 => IPAddress.Parse("127.0.0.66"),
            _ => IPAddress.IPv6Loopback,
        };
        byte[] source = new byte[28];
        WriteSockaddr(from, source);

        DropReason verdict = s_port.Inject(s_pool, source, input.AsSpan(1), out Packet frame);
        if (choice >= 2 && verdict != DropReason.VxlanUnknownRemote)
        {
            throw new InvalidOperationException($"a datagram from a stranger ({from}) ended as {verdict}");
        }

        if (verdict == DropReason.None)
        {
            try
            {
                int vni = (input[1 + 4] << 16) | (input[1 + 5] << 8) | input[1 + 6];
                bool tagged = frame.Length >= 16 && frame.Span[12] == 0x81 && frame.Span[13] == 0x00;
                if (frame.Length < 14 || frame.Length > s_port.MaxInnerFrame + 8)
                {
                    throw new InvalidOperationException($"accepted a {frame.Length}-byte inner frame");
                }

                if (vni == 1010 && !(tagged && (((frame.Span[14] << 8) | frame.Span[15]) & 0xFFF) == 10))
                {
                    throw new InvalidOperationException("a frame of the mapped VNI came out without its VLAN's tag");
                }

                if (vni != 1010 && vni != 42)
                {
                    throw new InvalidOperationException($"accepted VNI {vni}");
                }
            }
            finally
            {
                frame.Release();
            }
        }

        foreach (VxlanFdbEntry entry in s_port.Entries())
        {
            if (Array.IndexOf(s_remotes, entry.Remote) < 0)
            {
                throw new InvalidOperationException($"learned {entry.Mac} behind {entry.Remote}, not a configured remote");
            }
        }
    }

    private static void WriteSockaddr(IPAddress address, byte[] slot)
    {
        bool v6 = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        slot[0] = (byte)(v6 ? 10 : 2);
        if (v6)
        {
            address.TryWriteBytes(slot.AsSpan(8, 16), out _);
        }
        else
        {
            address.TryWriteBytes(slot.AsSpan(4, 4), out _);
        }
    }
}
