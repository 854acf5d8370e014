using System.Runtime.CompilerServices;

namespace FastBridge.Switching;

/// <summary>
/// One counter per port (0..<see cref="MacTable.MaxPort"/>), in chunks of 4096 allocated on first use: the bridge has at
/// most 4096 ports (<c>BridgeOptions.MaxPorts</c>), so in practice only the first chunk (16 KiB, allocated up
/// front) exists, while the table still accepts any 16-bit port. A chunk is published with a compare-exchange,
/// so a racing allocation is dropped, never a count; after that a port's count is one
/// <see cref="Interlocked"/> word. A chunk is never freed while its store lives.
/// </summary>
internal sealed class PortCounts
{
    private const int ChunkShift = 12;
    private const int ChunkSize = 1 << ChunkShift;
    private const int ChunkMask = ChunkSize - 1;

    private readonly int[]?[] _chunks = new int[]?[(MacTable.MaxPort >> ChunkShift) + 1];

    public PortCounts(bool allocateFirstChunk)
    {
        if (allocateFirstChunk)
        {
            _chunks[0] = new int[ChunkSize];
        }
    }

    /// <summary>The count of <paramref name="port"/>; 0 for a port never counted.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Get(int port)
    {
        int[]? chunk = Volatile.Read(ref _chunks[port >> ChunkShift]);
        return chunk is null ? 0 : Volatile.Read(ref chunk[port & ChunkMask]);
    }

    /// <summary>Adds <paramref name="delta"/> to the count of <paramref name="port"/>; returns the new count.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Add(int port, int delta) => Interlocked.Add(ref Cell(port), delta);

    /// <summary>
    /// Adds one to the count of <paramref name="port"/> unless it is already <paramref name="limit"/> or more
    /// (0: no limit). Returns the count before, or -1 when at the limit. At the limit it only reads.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int TryIncrement(int port, int limit)
    {
        ref int cell = ref Cell(port);
        if (limit <= 0)
        {
            return Interlocked.Increment(ref cell) - 1;
        }

        int seen = Volatile.Read(ref cell);
        while (seen < limit)
        {
            int prior = Interlocked.CompareExchange(ref cell, seen + 1, seen);
            if (prior == seen)
            {
                return seen;
            }

            seen = prior;
        }

        return -1;
    }

    /// <summary>The port with the highest count (the lowest such port on ties), or -1 when all are 0. Scans the
    /// allocated chunks: off the fast path.</summary>
    public int FindHighest()
    {
        int best = -1;
        int bestCount = 0;
        for (int c = 0; c < _chunks.Length; c++)
        {
            int[]? chunk = Volatile.Read(ref _chunks[c]);
            if (chunk is null)
            {
                continue;
            }

            for (int i = 0; i < chunk.Length; i++)
            {
                int count = Volatile.Read(ref chunk[i]);
                if (count > bestCount)
                {
                    bestCount = count;
                    best = (c << ChunkShift) | i;
                }
            }
        }

        return best;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref int Cell(int port)
    {
        int[]? chunk = Volatile.Read(ref _chunks[port >> ChunkShift]) ?? AllocateChunk(port >> ChunkShift);
        return ref chunk[port & ChunkMask];
    }

    /// <summary>First count on a port of a new chunk: one allocation per chunk and store, then never again.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private int[] AllocateChunk(int index) =>
        Interlocked.CompareExchange(ref _chunks[index], new int[ChunkSize], null) ?? _chunks[index]!;
}
