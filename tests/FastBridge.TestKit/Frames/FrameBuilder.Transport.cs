using System.Buffers.Binary;
using FastBridge.Offloads;

namespace FastBridge.Tests.Infrastructure;

/// <summary>
/// TCP and UDP frames over IPv4 or IPv6 (optionally VLAN-tagged), super-frames among them, built the way a kernel hands
/// them to a TAP with offloads: the L4 checksum field holds the pseudo-header sum, the rest is left to the device. And
/// checks frames with a reference Internet checksum written independently of the engine's (16-bit words, one at a time).
/// </summary>
public static partial class FrameBuilder
{
    public const byte TcpFin = 0x01;
    public const byte TcpPsh = 0x08;
    public const byte TcpAck = 0x10;
    public const byte TcpCwr = 0x80;

    private static readonly byte[] s_transportSource = Stations.Bytes(1);
    private static readonly byte[] s_transportDestination = Stations.Bytes(2);

    /// <summary>A frame from <see cref="Transport"/>: its bytes, its offload metadata, where L3 and L4 start, its header length and payload.</summary>
    public sealed record TransportFrame(byte[] Frame, OffloadInfo Info, int L3, int L4, int HeaderLength, byte[] Payload);

    /// <summary>
    /// A TCP or UDP frame from station 1 to station 2 with <paramref name="payloadLength"/> payload bytes (random,
    /// seeded), pending L4 checksum, and GSO metadata (a super-frame) when <paramref name="gsoSize"/> &gt; 0.
    /// </summary>
    public static TransportFrame Transport(bool v6, bool udp, int payloadLength, int gsoSize, int tcpOptions = 0, ushort vlan = 0,
        byte tcpFlags = TcpAck | TcpPsh | TcpFin | TcpCwr, uint sequence = 0xFFFF_F000, ushort ipId = 0xFFFE, int seed = 1)
    {
        int l3 = vlan != 0 ? 18 : 14;
        int ipHeader = v6 ? 40 : 20;
        int l4 = l3 + ipHeader;
        int l4Header = udp ? 8 : 20 + tcpOptions;
        int header = l4 + l4Header;
        var frame = new byte[header + payloadLength];
        s_transportDestination.CopyTo(frame, 0);
        s_transportSource.CopyTo(frame, 6);
        int type = 12;
        if (vlan != 0)
        {
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x8100);
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14), vlan);
            type = 16;
        }

        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(type), v6 ? (ushort)0x86DD : (ushort)0x0800);
        byte protocol = udp ? (byte)17 : (byte)6;
        int l4Length = l4Header + payloadLength;
        if (v6)
        {
            frame[l3] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(l3 + 4), (ushort)l4Length);
            frame[l3 + 6] = protocol;
            frame[l3 + 7] = 64;
            for (int i = 0; i < 16; i++)
            {
                frame[l3 + 8 + i] = (byte)(0x20 + i);
                frame[l3 + 24 + i] = (byte)(0x90 + i);
            }
        }
        else
        {
            frame[l3] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(l3 + 2), (ushort)Math.Min(65535, ipHeader + l4Length));
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(l3 + 4), ipId);
            frame[l3 + 6] = 0x40; // DF
            frame[l3 + 8] = 64;
            frame[l3 + 9] = protocol;
            byte[] addresses = [198, 18, 0, 1, 198, 18, 0, 2];
            addresses.CopyTo(frame, l3 + 12);
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(l3 + 10), ReferenceChecksum(frame.AsSpan(l3, 20)));
        }

        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(l4), 40000);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(l4 + 2), 5201);
        if (udp)
        {
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(l4 + 4), (ushort)Math.Min(65535, l4Length));
        }
        else
        {
            BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(l4 + 4), sequence);
            BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(l4 + 8), 12345);
            frame[l4 + 12] = (byte)(((20 + tcpOptions) / 4) << 4);
            frame[l4 + 13] = tcpFlags;
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(l4 + 14), 502);
            for (int i = 0; i < tcpOptions; i++)
            {
                frame[l4 + 20 + i] = 1; // NOP
            }
        }

        var payload = new byte[payloadLength];
        new Random(seed).NextBytes(payload);
        payload.CopyTo(frame, header);

        int checksumOffset = udp ? 6 : 16;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(l4 + checksumOffset), (ushort)~ReferenceChecksum(PseudoHeader(frame, l3, v6, protocol, l4Length)));
        var info = new OffloadInfo
        {
            Flags = OffloadFlags.NeedsChecksum,
            GsoType = gsoSize == 0 ? GsoType.None : udp ? GsoType.UdpL4 : v6 ? GsoType.TcpV6 : GsoType.TcpV4,
            GsoSize = (ushort)gsoSize,
            HeaderLength = (ushort)header,
            ChecksumStart = (ushort)l4,
            ChecksumOffset = (ushort)checksumOffset,
        };
        return new TransportFrame(frame, info, l3, l4, header, payload);
    }

    /// <summary>RFC 1071, one 16-bit word at a time, complemented.</summary>
    public static ushort ReferenceChecksum(ReadOnlySpan<byte> data)
    {
        long sum = 0;
        for (int i = 0; i + 1 < data.Length; i += 2)
        {
            sum += (data[i] << 8) | data[i + 1];
        }

        if ((data.Length & 1) != 0)
        {
            sum += data[^1] << 8;
        }

        while ((sum >> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)~sum;
    }

    public static byte[] PseudoHeader(byte[] frame, int l3, bool v6, byte protocol, int l4Length)
    {
        if (v6)
        {
            var p = new byte[40];
            frame.AsSpan(l3 + 8, 32).CopyTo(p);
            BinaryPrimitives.WriteInt32BigEndian(p.AsSpan(32), l4Length);
            p[39] = protocol;
            return p;
        }

        var q = new byte[12];
        frame.AsSpan(l3 + 12, 8).CopyTo(q);
        q[9] = protocol;
        BinaryPrimitives.WriteUInt16BigEndian(q.AsSpan(10), (ushort)l4Length);
        return q;
    }

    /// <summary>True when the L4 checksum (and for IPv4 the header checksum) of a complete frame verify.</summary>
    public static bool ChecksumsVerify(ReadOnlySpan<byte> frame, int l3, int l4, bool v6, bool udp)
    {
        byte[] f = frame.ToArray();
        int l4Length;
        if (v6)
        {
            l4Length = BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(l3 + 4)) - (l4 - l3 - 40);
        }
        else
        {
            if (ReferenceChecksum(f.AsSpan(l3, 20)) != 0)
            {
                return false;
            }

            l4Length = BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(l3 + 2)) - (l4 - l3);
        }

        if (l4 + l4Length != f.Length)
        {
            return false;
        }

        byte[] pseudo = PseudoHeader(f, l3, v6, udp ? (byte)17 : (byte)6, l4Length);
        byte[] all = [.. pseudo, .. f.AsSpan(l4)];
        return ReferenceChecksum(all) == 0;
    }
}
