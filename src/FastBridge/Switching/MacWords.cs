using System.Runtime.CompilerServices;
using FastBridge.Frames;

namespace FastBridge.Switching;

/// <summary>
/// The machine-word encoding of a <see cref="MacTable"/> slot, shared by the table and its defences.
/// </summary>
/// <remarks>
/// The key is <c>mac | vlan &lt;&lt; 48 | 1 &lt;&lt; 63</c>, so a live key is never <see cref="EmptyKey"/> nor
/// <see cref="TombstoneKey"/>. The value packs the port (bits 0-15), a static flag (bit 16), a valid flag (bit 17,
/// so a published value is never <c>0</c>; <c>0</c> means "being published or removed"), zero bits 18-31, and a
/// 32-bit coarse age stamp in seconds since the table was created (bits 32-63, wrapping after 136 years).
/// </remarks>
internal static class MacWords
{
    public const ulong EmptyKey = 0;
    public const ulong TombstoneKey = 1;
    private const ulong LiveKeyBit = 1UL << 63;
    private const int VlanShift = 48;

    private const ulong PortMask = 0xFFFF;
    private const ulong StaticFlag = 1UL << 16;
    private const ulong ValidFlag = 1UL << 17;
    private const int StampShift = 32;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong MakeKey(ulong mac, ushort vlan) =>
        (mac & MacAddress.Mask) | ((ulong)(vlan & MacTable.MaxVlan) << VlanShift) | LiveKeyBit;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsLiveKey(ulong key) => (key & LiveKeyBit) != 0;

    public static MacAddress MacOf(ulong key) => new(key & MacAddress.Mask);

    public static ushort VlanOf(ulong key) => (ushort)((key >> VlanShift) & MacTable.MaxVlan);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong MakeValue(int port, uint stamp, bool isStatic) =>
        (uint)port | ValidFlag | (isStatic ? StaticFlag : 0) | ((ulong)stamp << StampShift);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int PortOf(ulong value) => (int)(value & PortMask);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint StampOf(ulong value) => (uint)(value >> StampShift);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsStatic(ulong value) => (value & StaticFlag) != 0;

    /// <summary>True when a dynamic <paramref name="value"/> is at least <paramref name="aging"/> seconds old
    /// (0: never).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsExpired(ulong value, uint now, int aging) =>
        aging > 0 && (value & StaticFlag) == 0 && (int)(now - StampOf(value)) >= aging;
}
