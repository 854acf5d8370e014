using System.Runtime.CompilerServices;

namespace FastBridge.Diagnostics;

/// <summary>
/// Counters of one port as seen by one worker. Each worker writes only its own blocks, with plain increments, so
/// counting costs the dataplane no atomic operation and no shared cache line; readers sum the blocks of all workers
/// (a torn read is impossible for an aligned 64-bit field on a 64-bit runtime, and a count read a little late is
/// fine for statistics).
/// </summary>
internal sealed class CounterBlock
{
    // Padding on both sides keeps two workers' blocks off each other's cache lines.
#pragma warning disable CS0169, IDE0051 // never used: padding
    private readonly long _pad0, _pad1, _pad2, _pad3, _pad4, _pad5, _pad6, _pad7;
#pragma warning restore CS0169, IDE0051

    public long RxFrames;
    public long RxBytes;
    public long Forwarded;
    public long Flooded;
    public long TxOffered;
    public long TxFrames;
    public long TxBytes;
    public long Learned;
    public long Moved;
    public long TableFull;
    public long Evicted;
    public long PortLimit;
    public long Flaps;
    public readonly long[] Drops = new long[DropReasons.Count];

#pragma warning disable CS0169, IDE0051
    private readonly long _pad8, _pad9, _pad10, _pad11, _pad12, _pad13, _pad14, _pad15;
#pragma warning restore CS0169, IDE0051

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Drop(DropReason reason) => Drops[(int)reason]++;
}
