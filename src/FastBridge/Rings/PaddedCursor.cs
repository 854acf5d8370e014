using System.Runtime.InteropServices;

namespace FastBridge.Rings;

/// <summary>
/// A ring cursor alone on its own 128-byte block (two cache lines, against adjacent-line prefetch), so the producer's
/// and the consumer's writes never bounce the same line between cores (Disruptor-net's padded sequence).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 128)]
internal struct PaddedCursor
{
    [FieldOffset(64)]
    public long Value;
}
