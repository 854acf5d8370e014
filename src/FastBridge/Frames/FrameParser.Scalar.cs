using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FastBridge.Frames;

public static partial class FrameParser
{
    /// <summary>
    /// The portable path: two masked 8-byte loads for the addresses, scalar compares for class and validity. Used
    /// when <see cref="System.Runtime.Intrinsics.Vector128"/> is not accelerated and for frames shorter than 16 bytes.
    /// </summary>
    internal static void ParseScalar(ReadOnlySpan<byte> frame, out FrameInfo info) => ParseScalarInline(frame, out info);

    /// <summary><see cref="ParseScalar"/> inlined into the burst loop.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ParseScalarInline(ReadOnlySpan<byte> frame, out FrameInfo info)
    {
        int length = frame.Length;
        if ((uint)length < HeaderLength)
        {
            Runt(out info);
            return;
        }

        ref byte start = ref MemoryMarshal.GetReference(frame);
        ulong destination = ReadMac(ref start, 0);
        ulong source = ReadMac(ref start, 6);
        uint type = ReadUInt16BigEndian(ref start, TypeOffset);

        Unsafe.SkipInit(out info);
        info.Destination = destination;
        info.Source = source;

        // Broadcast has the group bit too: group (1) + all-ones (1) = Broadcast (2).
        info.Class = (FrameClass)(((uint)destination & 1u) + (destination == MacAddress.Mask ? 1u : 0u));

        // A broadcast source has the group bit, so group-or-zero covers all three invalid sources.
        bool invalidSource = ((source & 1u) != 0) | (source == 0);
        ParseTags(ref start, length, type, IsTpid(type), invalidSource, ref info);
    }
}
