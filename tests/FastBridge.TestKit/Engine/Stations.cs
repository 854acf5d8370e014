using FastBridge.Frames;

namespace FastBridge.Tests.Infrastructure;

/// <summary>Distinct, locally administered unicast station addresses for table tests.</summary>
internal static class Stations
{
    /// <summary>02:00:ii:ii:ii:ii for <paramref name="i"/>: byte 0 is 0x02, the index fills bytes 2-5.</summary>
    public static ulong Mac(int i) => 0x02UL | ((ulong)(uint)i << 16);

    public static MacAddress Address(int i) => new(Mac(i));
}
