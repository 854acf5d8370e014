namespace FastBridge.Tests.Infrastructure;

/// <summary>
/// Random-looking source addresses for MAC-flooding scenarios: 02:01:xx:xx:xx:xx, distinct for distinct indices (a
/// bijective scramble of the index) and never equal to a <see cref="Stations"/> address (whose byte 1 is 0).
/// </summary>
internal static class Flood
{
    /// <summary>How many frames a MAC-flood scenario sends, in memory and on TAP devices alike.</summary>
    public const int Frames = 1_000_000;

    public static ulong Mac(int i) => 0x0102UL | ((ulong)Scramble((uint)i) << 16);

    /// <summary>Multiplication by an odd constant, then xorshift: both bijections on 32 bits.</summary>
    private static uint Scramble(uint x)
    {
        x *= 0x9E37_79B1u;
        return x ^ (x >> 15);
    }
}
