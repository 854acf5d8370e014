using FastBridge.Frames;

namespace FastBridge.Tests.Infrastructure;

/// <summary>
/// The one way tests name station <c>i</c>'s MAC: distinct, locally administered unicast addresses, for every table,
/// engine, parser and end-to-end test. (MAC-flooding sources come from the engine kit's <c>Flood</c>, whose byte 1 is 1.)
/// </summary>
internal static class Stations
{
    /// <summary>
    /// 02:00:ii:ii:ii:ii for <paramref name="i"/>, as <see cref="MacAddress"/>'s 64-bit value: byte 0 is 0x02, byte 1 is
    /// 0, the index fills bytes 2-5, least significant byte first (station 1 is 02:00:01:00:00:00).
    /// </summary>
    public static ulong Mac(int i) => 0x02UL | ((ulong)(uint)i << 16);

    public static MacAddress Address(int i) => new(Mac(i));

    /// <summary>The six bytes of station <paramref name="i"/>'s address, as written on the wire.</summary>
    public static byte[] Bytes(int i)
    {
        var bytes = new byte[6];
        Address(i).WriteTo(bytes);
        return bytes;
    }
}
