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
}
