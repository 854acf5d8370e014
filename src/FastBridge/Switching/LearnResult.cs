namespace FastBridge.Switching;

/// <summary>What <see cref="MacTable.Learn"/> did with a source address. The engine turns each into a named counter.</summary>
public enum LearnResult : byte
{
    /// <summary>The station was already known on this port; at most its age stamp was rewritten.</summary>
    Refreshed,

    /// <summary>The station was unknown (absent, or present but expired and not yet swept) and is now known.</summary>
    Learned,

    /// <summary>The station was known on another port and now points at the new one (a MAC move).</summary>
    Moved,

    /// <summary>The station is new but the table holds <see cref="MacTable.Capacity"/> entries: nothing was learned.</summary>
    TableFull,

    /// <summary>The station has a static entry: learning did nothing.</summary>
    Static,

    /// <summary>
    /// The station was new and the table was full: one dynamic entry of the port holding the most entries (or an
    /// expired entry) was evicted to make room, and the station is now known. The engine counts it as learned and as
    /// an eviction.
    /// </summary>
    LearnedEvicting,

    /// <summary>
    /// The station is new but its port already holds <see cref="MacTable.MaxPerPort"/> dynamic entries: nothing was
    /// learned.
    /// </summary>
    PortLimit,

    /// <summary>
    /// A <see cref="Moved"/> that makes the station a flapper: it moved at least <see cref="MacTable.FlapMoves"/>
    /// times within <see cref="MacTable.FlapWindowSeconds"/>. The entry did move; the engine counts a move and a
    /// flap, and <see cref="MacTable.DrainFlaps"/> reports the station.
    /// </summary>
    MovedFlapping,
}
