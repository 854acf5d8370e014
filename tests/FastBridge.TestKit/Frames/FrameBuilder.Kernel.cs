using System.Buffers.Binary;
using System.Net;

namespace FastBridge.Tests.Infrastructure;

/// <summary>The frames tests hand to the kernel (TAP and raw-socket tests): ARP requests and filler of any length.</summary>
public static partial class FrameBuilder
{
    public static readonly byte[] Broadcast = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];

    /// <summary>"aa:bb:cc:dd:ee:ff", as iproute2 and sysfs print a MAC.</summary>
    public static string Format(ReadOnlySpan<byte> mac) =>
        string.Join(':', Convert.ToHexStringLower(mac[..6]).Chunk(2).Select(pair => new string(pair)));

    /// <summary>A broadcast ARP request "who has <paramref name="target"/>, tell <paramref name="sender"/>", padded to 60 bytes.</summary>
    public static byte[] ArpRequest(byte[] senderMac, IPAddress sender, IPAddress target)
    {
        byte[] frame = new byte[60];
        Broadcast.CopyTo(frame, 0);
        senderMac.CopyTo(frame, 6);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x0806);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14), 1);      // hardware: Ethernet
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(16), 0x0800); // protocol: IPv4
        frame[18] = 6;
        frame[19] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(20), 1);      // request
        senderMac.CopyTo(frame, 22);
        sender.GetAddressBytes().CopyTo(frame, 28);
        target.GetAddressBytes().CopyTo(frame, 38);
        return frame;
    }

    /// <summary>A broadcast frame of <paramref name="length"/> bytes with a local-experimental EtherType and a byte pattern.</summary>
    public static byte[] Filler(byte[] sourceMac, int length)
    {
        byte[] frame = new byte[length];
        Broadcast.CopyTo(frame, 0);
        sourceMac.CopyTo(frame, 6);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), EtherTypeExperimental);
        for (int i = 14; i < length; i++)
        {
            frame[i] = (byte)i;
        }

        return frame;
    }

    public static ushort EtherType(ReadOnlySpan<byte> frame) => BinaryPrimitives.ReadUInt16BigEndian(frame[12..]);
}
