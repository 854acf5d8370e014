using FastBridge.Frames;

namespace FastBridge.Switching;

/// <summary>A station reported by <see cref="MacTable.DrainFlaps"/>: it kept moving between ports.</summary>
/// <param name="Mac">The station address.</param>
/// <param name="Vlan">The VLAN the station was learned in (12 bits).</param>
/// <param name="FromPort">The port of its latest recorded move's origin.</param>
/// <param name="ToPort">The port of its latest recorded move's destination (where it points now, unless it moved since).</param>
/// <param name="Moves">Moves recorded since the station was last reported (at least the flap threshold the first time; approximate: recording is lossy).</param>
public readonly record struct FlapEvent(MacAddress Mac, ushort Vlan, int FromPort, int ToPort, int Moves);
