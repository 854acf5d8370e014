using System.Diagnostics.CodeAnalysis;

namespace FastBridge.Core;

/// <summary>Throws and fails off the hot path, so callers stay small enough to inline.</summary>
/// <remarks>
/// Design: in <c>FastBridge.Core</c>, which depends on nothing else of FastBridge, so every layer can use it without a
/// namespace cycle (a global using in <c>GlobalUsings.cs</c> makes it visible everywhere). Errors of system calls are
/// thrown by <c>Interop.Errno.ThrowIOException</c>, next to the errno descriptions they use.
/// </remarks>
internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void ThrowLengthOutOfRange(int length) =>
        throw new ArgumentOutOfRangeException(nameof(length), length, "Frame length exceeds the buffer.");

    [DoesNotReturn]
    public static void ThrowIndexOutOfRange() => throw new IndexOutOfRangeException();

    [DoesNotReturn]
    public static void ThrowPortOutOfRange(int port) =>
        throw new ArgumentOutOfRangeException(nameof(port), port, "A port number is 0..65535.");

    /// <summary>A broken dataplane invariant: continuing would corrupt frames, so stop the process (as the runtime's socket engine does).</summary>
    [DoesNotReturn]
    public static void FailFast(string message) => Environment.FailFast("FastBridge dataplane invariant broken: " + message);
}
