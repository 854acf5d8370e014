using FastBridge.Diagnostics;
using FastBridge.Frames;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Frames;

/// <summary>The destination address decides the class: broadcast, multicast (group bit) or unicast.</summary>
public sealed class FrameParserClassTests
{
    private static readonly MacAddress s_source = Stations.Address(1);

    public static TheoryData<ParserPath, string, FrameClass> Destinations()
    {
        var data = new TheoryData<ParserPath, string, FrameClass>();
        (string Mac, FrameClass Class)[] cases =
        [
            ("ff:ff:ff:ff:ff:ff", FrameClass.Broadcast),
            ("01:00:5e:00:00:01", FrameClass.Multicast),
            ("33:33:00:00:00:01", FrameClass.Multicast),
            ("01:80:c2:00:00:00", FrameClass.Multicast),
            ("ff:ff:ff:ff:ff:fe", FrameClass.Multicast),
            ("fe:ff:ff:ff:ff:ff", FrameClass.Unicast),
            ("02:00:00:00:00:01", FrameClass.Unicast),
            ("00:00:00:00:00:00", FrameClass.Unicast),
            ("00:00:00:00:00:01", FrameClass.Unicast),
        ];
        foreach (ParserPath path in ParserPaths.All)
        {
            foreach ((string mac, FrameClass cls) in cases)
            {
                data.Add(path, mac, cls);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Destinations))]
    public void Class_follows_destination(ParserPath path, string destination, FrameClass expected)
    {
        MacAddress dst = MacAddress.Parse(destination);

        FrameInfo untagged = path.Parse(FrameBuilder.Untagged(dst, s_source));
        FrameInfo tagged = path.Parse(FrameBuilder.Tagged(dst, s_source, 9));
        FrameInfo header = path.Parse(FrameBuilder.Untagged(dst, s_source, payloadLength: 0));

        Assert.Equal(expected, untagged.Class);
        Assert.Equal(expected, tagged.Class);
        Assert.Equal(expected, header.Class);
        Assert.Equal(dst.Value, untagged.Destination);
        Assert.Equal(DropReason.None, untagged.Drop);
    }
}
