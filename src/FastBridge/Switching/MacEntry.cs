using FastBridge.Frames;

namespace FastBridge.Switching;

/// <summary>One row of a <see cref="MacTable"/> snapshot (<c>fdb show</c>).</summary>
/// <param name="Mac">The station address.</param>
/// <param name="Vlan">The VLAN the station was learned in (12 bits).</param>
/// <param name="Port">The port frames to <paramref name="Mac"/> go out of.</param>
/// <param name="IsStatic">Configured by the control plane: never ages, never moved by learning.</param>
/// <param name="AgeSeconds">Seconds since the entry was last learned, refreshed or (static) configured, in the table's coarse clock.</param>
public readonly record struct MacEntry(MacAddress Mac, ushort Vlan, int Port, bool IsStatic, int AgeSeconds);
