using FastBridge.Switching;

namespace FastBridge.Tests.Vlans;

/// <summary>VLAN lists as operators write them: <c>10,20,100-199</c>, validated 1 to 4094.</summary>
public sealed class VlanSetTests
{
    [Theory]
    [InlineData("10", "10", 1)]
    [InlineData("10,20,100-199", "10,20,100-199", 102)]
    [InlineData(" 5 , 3-4,1", "1,3-5", 4)]
    [InlineData("1-4094", "1-4094", 4094)]
    public void Lists_parse_and_print_compactly(string text, string printed, int count)
    {
        Assert.True(VlanSet.TryParse(text, out VlanSet? set, out string? error), error);
        Assert.Equal(printed, set.ToString());
        Assert.Equal(count, set.Count);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("0", "out of range")]
    [InlineData("4095", "out of range")]
    [InlineData("10,abc", "'abc' is not a VLAN id")]
    [InlineData("20-10", "not a range")]
    [InlineData("10-", "is not a VLAN id")]
    [InlineData("-5", "is not a VLAN id")]
    public void Bad_lists_are_refused_with_a_clear_reason(string text, string reason)
    {
        Assert.False(VlanSet.TryParse(text, out _, out string? error));
        Assert.Contains(reason, error);
    }

    [Fact]
    public void Trunk_always_carries_its_native_vlan_and_classifies_as_the_linux_bridge()
    {
        PortVlan trunk = PortVlan.Trunk(VlanSet.Of(20), native: 10);
        Assert.True(trunk.Carries(10));
        Assert.Equal(10, trunk.Classify(tagged: false, 0));
        Assert.Equal(10, trunk.Classify(tagged: true, 0));
        Assert.Equal(10, trunk.Classify(tagged: true, 10));
        Assert.Equal(20, trunk.Classify(tagged: true, 20));
        Assert.Equal(-1, trunk.Classify(tagged: true, 30));
        Assert.Equal(-1, PortVlan.Trunk(VlanSet.Of(20)).Classify(tagged: false, 0));
        Assert.Equal(-1, PortVlan.Access(10).Classify(tagged: true, 11));
        Assert.False(PortVlan.Access(10).Carries(0));
        Assert.True(PortVlan.None.Carries(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => PortVlan.Access(4095));
    }
}
