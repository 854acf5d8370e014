using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FastBridge.Frames;

public static partial class FrameParser
{
    /// <summary>
    /// The vector path: one 16-byte load holds both addresses and the type at offset 12. Destination and source are
    /// shuffled into the two 64-bit lanes, so one compare per property (zero, broadcast, group bit) checks both; the
    /// type is broadcast and compared with the three TPIDs at once. Falls back to <see cref="ParseScalar"/> for frames
    /// shorter than 16 bytes; results are bit-identical to it. Correct (if slow) without hardware acceleration too.
    /// </summary>
    internal static void ParseVector128(ReadOnlySpan<byte> frame, out FrameInfo info) => ParseVector128Inline(frame, out info);

    /// <summary><see cref="ParseVector128"/> inlined into the burst loop.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ParseVector128Inline(ReadOnlySpan<byte> frame, out FrameInfo info)
    {
        int length = frame.Length;
        if ((uint)length < (uint)Vector128<byte>.Count)
        {
            ParseScalar(frame, out info);
            return;
        }

        ref byte start = ref MemoryMarshal.GetReference(frame);
        Vector128<byte> head = Vector128.LoadUnsafe(ref start);

        // [dst0..dst5, 0, 0 | src0..src5, 0, 0]: an index of 0xFF (out of range) gives 0.
        Vector128<ulong> macs = Vector128.Shuffle(
            head,
            Vector128.Create((byte)0, 1, 2, 3, 4, 5, 0xFF, 0xFF, 6, 7, 8, 9, 10, 11, 0xFF, 0xFF)).AsUInt64();

        // Bit 0 of each mask is the destination lane, bit 1 the source lane.
        uint zero = Vector128.Equals(macs, Vector128<ulong>.Zero).ExtractMostSignificantBits();
        uint broadcast = Vector128.Equals(macs, Vector128.Create(MacAddress.Mask)).ExtractMostSignificantBits();
        Vector128<ulong> one = Vector128<ulong>.One;
        uint group = Vector128.Equals(macs & one, one).ExtractMostSignificantBits();

        // The type at offset 12 is ushort lane 6 in wire (big-endian) byte order: broadcast it and compare it with
        // the byte-swapped TPIDs (0x8100, 0x88A8, 0x9100) in one compare; the spare lanes repeat 0x8100.
        Vector128<ushort> type12 = Vector128.Shuffle(head.AsUInt16(), Vector128.Create((ushort)6));
        bool outerTagged = Vector128.EqualsAny(
            type12,
            Vector128.Create((ushort)0x0081, 0xA888, 0x0091, 0x0081, 0x0081, 0x0081, 0x0081, 0x0081));

        Unsafe.SkipInit(out info);
        info.Destination = macs.ToScalar();
        info.Source = macs.GetElement(1);
        info.Class = (FrameClass)((group & 1u) + (broadcast & 1u));
        bool invalidSource = ((zero | group | broadcast) & 2u) != 0;
        ParseTags(ref start, length, ReadUInt16BigEndian(ref start, TypeOffset), outerTagged, invalidSource, ref info);
    }
}
