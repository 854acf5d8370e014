using FastBridge.Frames;

namespace FastBridge.Tests.Frames;

/// <summary><see cref="MacAddress"/>: packing, text round trip, and the group / broadcast / zero tests.</summary>
public sealed class MacAddressTests
{
    [Theory]
    [InlineData("00:00:00:00:00:00")]
    [InlineData("02:00:00:00:00:01")]
    [InlineData("ff:ff:ff:ff:ff:ff")]
    [InlineData("01:80:c2:00:00:0e")]
    [InlineData("de:ad:be:ef:ca:fe")]
    public void Parse_and_format_round_trip(string text)
    {
        MacAddress mac = MacAddress.Parse(text);

        Assert.Equal(text, mac.ToString());
        Assert.True(MacAddress.TryParse(mac.ToString(), out MacAddress again));
        Assert.Equal(mac, again);
    }

    [Fact]
    public void Byte_0_of_the_wire_is_the_least_significant_byte()
    {
        MacAddress mac = MacAddress.Parse("01:23:45:67:89:AB");
        byte[] wire = new byte[8];
        mac.WriteTo(wire);

        Assert.Equal(0xAB8967452301UL, mac.Value);
        Assert.Equal(new byte[] { 0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0, 0 }, wire);
        Assert.Equal(mac, MacAddress.FromBytes(wire));
        Assert.Equal(mac.Value, BitConverter.ToUInt64(wire) & MacAddress.Mask);
    }

    [Fact]
    public void Dash_separators_are_accepted()
    {
        Assert.Equal(MacAddress.Parse("02:00:5e:10:00:01"), MacAddress.Parse("02-00-5E-10-00-01"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("02:00:00:00:00")]
    [InlineData("02:00:00:00:00:001")]
    [InlineData("02:00:00:00:00:0g")]
    [InlineData("02.00.00.00.00.01")]
    [InlineData("0200:00:00:00:01:")]
    [InlineData("02:00:00:00:00:+1")]
    [InlineData(" 2:00:00:00:00:01")]
    public void Bad_strings_are_rejected(string? text)
    {
        Assert.False(MacAddress.TryParse(text, out MacAddress mac));
        Assert.Equal(default, mac);
        if (text is not null)
        {
            Assert.Throws<FormatException>(() => MacAddress.Parse(text));
        }
    }

    [Theory]
    [InlineData("ff:ff:ff:ff:ff:ff", true, true, false)]
    [InlineData("01:00:5e:00:00:01", true, false, false)]
    [InlineData("33:33:ff:00:00:01", true, false, false)]
    [InlineData("fe:ff:ff:ff:ff:ff", false, false, false)]
    [InlineData("02:00:00:00:00:01", false, false, false)]
    [InlineData("00:00:00:00:00:00", false, false, true)]
    public void Group_broadcast_and_zero_tests(string text, bool multicast, bool broadcast, bool zero)
    {
        MacAddress mac = MacAddress.Parse(text);

        Assert.Equal(multicast, mac.IsMulticast);
        Assert.Equal(broadcast, mac.IsBroadcast);
        Assert.Equal(zero, mac.IsZero);
        Assert.Equal(broadcast, mac == MacAddress.Broadcast);
    }

    [Fact]
    public void FromBytes_needs_six_bytes()
    {
        Assert.Throws<ArgumentException>(() => MacAddress.FromBytes(new byte[5]));
    }
}
