using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FastBridge.Ports.VhostUser;

/// <summary>A frame copy between a guest buffer and a pool buffer, inline for small frames.</summary>
/// <remarks>
/// Why: <c>Unsafe.CopyBlockUnaligned</c> with a length known only at run time is a call to the runtime's Memmove,
/// whose size dispatch costs more than a 64-byte frame's copy itself; the ring walks copy twice per frame. Up to 64
/// bytes this is two overlapping vector loads and stores inline (both loads before either store: the ranges, a guest
/// buffer and a pool buffer, never overlap anyway); longer frames go to Memmove.
/// </remarks>
internal static unsafe class SmallCopy
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Copy(byte* destination, byte* source, uint length)
    {
        if (Vector256.IsHardwareAccelerated && length - 32 <= 32)
        {
            // 32..64 bytes: the first 32 and the last 32, overlapping in the middle
            Vector256<byte> first = Vector256.Load(source);
            Vector256<byte> last = Vector256.Load(source + length - 32);
            first.Store(destination);
            last.Store(destination + length - 32);
            return;
        }

        if (Vector128.IsHardwareAccelerated && length - 16 <= 16)
        {
            Vector128<byte> first = Vector128.Load(source);
            Vector128<byte> last = Vector128.Load(source + length - 16);
            first.Store(destination);
            last.Store(destination + length - 16);
            return;
        }

        Unsafe.CopyBlockUnaligned(destination, source, length);
    }
}
