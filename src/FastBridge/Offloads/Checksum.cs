using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FastBridge.Offloads;

/// <summary>The Internet checksum (RFC 1071): the ones' complement of the ones' complement sum of 16-bit words.</summary>
/// <remarks>
/// Design: sums are kept as 64-bit accumulators of big-endian (network order) 16-bit words, so callers mix data sums
/// with pseudo-header numbers (<c>protocol + length</c>) by plain addition and fold once at the end. The data loop adds
/// native-order 32-bit words into 64 bits (no carry handling needed below 2^32 words) and swaps bytes once after
/// folding (RFC 1071's byte-order independence); with Vector256/Vector128 it widens 8 or 4 words per step into 64-bit
/// lanes. An odd trailing byte is the high byte of a zero-padded word.
/// Performance: no allocation; one pass over the data; the vector paths are picked by
/// <see cref="Vector256.IsHardwareAccelerated"/>, so <c>DOTNET_EnableHWIntrinsic=0</c> tests the scalar loop.
/// </remarks>
public static class Checksum
{
    /// <summary>Adds the 16-bit big-endian words of <paramref name="data"/> to <paramref name="sum"/> (not folded).</summary>
    public static ulong Add(ReadOnlySpan<byte> data, ulong sum = 0)
    {
        ushort folded = Fold(SumNative(data));
        return sum + (BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(folded) : folded);
    }

    /// <summary>Folds a sum to 16 bits (end-around carry), not complemented.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Fold(ulong sum)
    {
        sum = (sum & 0xFFFFFFFF) + (sum >> 32);
        sum = (sum & 0xFFFFFFFF) + (sum >> 32);
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)sum;
    }

    /// <summary>The checksum to store: the complement of the folded sum (host-order value of the big-endian field).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Finish(ulong sum) => (ushort)~Fold(sum);

    /// <summary>The checksum of <paramref name="data"/> alone (e.g. an IPv4 header with its checksum field zeroed).</summary>
    public static ushort Compute(ReadOnlySpan<byte> data) => Finish(Add(data));

    /// <summary>Pseudo-header sum of IPv4 (addresses, protocol, L4 length); <paramref name="addresses"/> is source then destination (8 bytes).</summary>
    public static ulong PseudoHeaderV4(ReadOnlySpan<byte> addresses, byte protocol, int l4Length) =>
        Add(addresses[..8], (ulong)protocol + (uint)l4Length);

    /// <summary>Pseudo-header sum of IPv6; <paramref name="addresses"/> is source then destination (32 bytes).</summary>
    public static ulong PseudoHeaderV6(ReadOnlySpan<byte> addresses, byte protocol, int l4Length) =>
        Add(addresses[..32], (ulong)protocol + ((uint)l4Length >> 16) + ((uint)l4Length & 0xFFFF));

    private static ulong SumNative(ReadOnlySpan<byte> data)
    {
        ref byte start = ref MemoryMarshal.GetReference(data);
        nuint length = (nuint)data.Length;
        nuint i = 0;
        ulong sum = 0;

        if (Vector256.IsHardwareAccelerated && length >= 64)
        {
            Vector256<ulong> acc = Vector256<ulong>.Zero;
            nuint last = length - 32;
            for (; i <= last; i += 32)
            {
                (Vector256<ulong> lo, Vector256<ulong> hi) = Vector256.Widen(Vector256.LoadUnsafe(ref start, i).AsUInt32());
                acc += lo + hi; // each lane gains < 2^33 per step: no overflow below 2^31 steps
            }

            sum = Fold64(acc);
        }
        else if (Vector128.IsHardwareAccelerated && length >= 32)
        {
            Vector128<ulong> acc = Vector128<ulong>.Zero;
            nuint last = length - 16;
            for (; i <= last; i += 16)
            {
                (Vector128<ulong> lo, Vector128<ulong> hi) = Vector128.Widen(Vector128.LoadUnsafe(ref start, i).AsUInt32());
                acc += lo + hi;
            }

            sum = AddCarry(acc.GetElement(0), acc.GetElement(1));
        }

        for (; i + 8 <= length; i += 8)
        {
            ulong v = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, i));
            sum = AddCarry(sum, (v & 0xFFFFFFFF) + (v >> 32));
        }

        if (i + 4 <= length)
        {
            sum = AddCarry(sum, Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref start, i)));
            i += 4;
        }

        if (i + 2 <= length)
        {
            sum = AddCarry(sum, Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref start, i)));
            i += 2;
        }

        if (i < length)
        {
            byte b = Unsafe.Add(ref start, i);
            sum = AddCarry(sum, BitConverter.IsLittleEndian ? b : (ulong)b << 8);
        }

        return sum;
    }

    /// <summary>Sums the four lanes with end-around carry (each lane may be close to 2^64 only on absurd lengths; carries are kept anyway).</summary>
    private static ulong Fold64(Vector256<ulong> acc) =>
        AddCarry(AddCarry(acc.GetElement(0), acc.GetElement(1)), AddCarry(acc.GetElement(2), acc.GetElement(3)));

    /// <summary>64-bit ones' complement addition (the carry out goes back in at the bottom).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong AddCarry(ulong a, ulong b)
    {
        ulong s = a + b;
        return s + (s < a ? 1UL : 0UL);
    }
}
