using System.Diagnostics.CodeAnalysis;

namespace FastBridge;

/// <summary>Throws and fails off the hot path, so callers stay small enough to inline.</summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void ThrowLengthOutOfRange(int length) =>
        throw new ArgumentOutOfRangeException(nameof(length), length, "Frame length exceeds the buffer.");

    [DoesNotReturn]
    public static void ThrowIndexOutOfRange() => throw new IndexOutOfRangeException();

    /// <summary>A system call failed where no caller can recover (a bug or a broken descriptor), off the frame path.</summary>
    [DoesNotReturn]
    public static void ThrowIOException(string operation, int errno) =>
        throw new IOException($"{operation} failed: {Interop.Errno.Describe(errno)}");

    [DoesNotReturn]
    public static void ThrowPortOutOfRange(int port) =>
        throw new ArgumentOutOfRangeException(nameof(port), port, "A port number is 0..65535.");

    /// <summary>A broken dataplane invariant: continuing would corrupt frames, so stop the process (as the runtime's socket engine does).</summary>
    [DoesNotReturn]
    public static void FailFast(string message) => Environment.FailFast("FastBridge dataplane invariant broken: " + message);
}
