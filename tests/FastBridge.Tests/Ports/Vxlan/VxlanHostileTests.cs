using System.Net;
using FastBridge.Diagnostics;
using FastBridge.Frames;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Ports.Vxlan;

/// <summary>Hostile datagrams at a VXLAN port: each dropped under its named reason, none learned from, the accounting kept.</summary>
public sealed class VxlanHostileTests
{
    private static readonly MacAddress s_hostA = MacAddress.Parse("02:00:00:00:0a:01");
    private static readonly MacAddress s_intruder = MacAddress.Parse("02:00:00:00:66:66");
    private static readonly IPAddress s_remoteB = IPAddress.Parse("127.0.0.2");

    public static TheoryData<string, DropReason> Cases => new()
    {
        { "unconfigured-source", DropReason.VxlanUnknownRemote },
        { "bad-flags", DropReason.VxlanBadHeader },
        { "no-i-flag", DropReason.VxlanBadHeader },
        { "reserved-byte", DropReason.VxlanBadHeader },
        { "short-header", DropReason.VxlanBadHeader },
        { "wrong-vni", DropReason.VxlanWrongVni },
        { "short-inner", DropReason.VxlanBadInner },
        { "oversize-inner", DropReason.VxlanBadInner },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_hostile_datagram_is_dropped_under_its_reason_and_nothing_is_learned(string kind, DropReason reason)
    {
        using var rig = new VxlanLoopbackRig(o => o with { UnderlayMtu = 1000 });
        byte[] frame = FrameBuilder.Untagged(s_hostA, s_intruder);
        IPAddress from = s_remoteB;
        byte[] datagram = VxlanLoopbackRig.Encapsulate(frame, 42);
        switch (kind)
        {
            case "unconfigured-source": from = IPAddress.Parse("127.0.0.66"); break;
            case "bad-flags": datagram[0] = 0x0C; break;
            case "no-i-flag": datagram[0] = 0x00; break;
            case "reserved-byte": datagram[7] = 1; break;
            case "short-header": datagram = datagram[..7]; break;
            case "wrong-vni": datagram = VxlanLoopbackRig.Encapsulate(frame, 43); break;
            case "short-inner": datagram = datagram[..(8 + 13)]; break;
            case "oversize-inner": datagram = VxlanLoopbackRig.Encapsulate(FrameBuilder.Untagged(s_hostA, s_intruder, payloadLength: 1200), 42); break;
        }

        rig.SendFrom(from, datagram);
        List<byte[]> got = rig.ReceiveUntil(0, drops: 1);

        Assert.Empty(got);
        Assert.Equal(1, rig.Drops(reason));
        Assert.Equal(1, rig.TotalReceiveDrops());
        Assert.Empty(rig.VxlanPort.Entries());
    }

    [Fact]
    public void Random_bytes_on_the_tunnel_port_are_all_dropped_and_counted()
    {
        using var rig = new VxlanLoopbackRig();
        var random = new Random(1234);
        const int Datagrams = 200;
        for (int i = 0; i < Datagrams; i++)
        {
            var junk = new byte[random.Next(0, 1400)];
            random.NextBytes(junk);
            rig.SendFrom(s_remoteB, junk);
        }

        List<byte[]> got = rig.ReceiveUntil(int.MaxValue, drops: Datagrams);

        // Random bytes pass the header check with probability 2^-40: every one is dropped, and each counted once.
        Assert.Empty(got);
        Assert.Equal(Datagrams, rig.TotalReceiveDrops());
        Assert.Empty(rig.VxlanPort.Entries());
    }
}
