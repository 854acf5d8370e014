using System.Runtime.InteropServices;

namespace FastBridge.Interop;

/// <summary>
/// struct epoll_event: a 32-bit event mask and a 64-bit data word. x86-64 (and x86) declare it packed, 12 bytes with
/// the data at offset 4; every other Linux ABI (arm64 among them) pads it to 16 bytes with the data at offset 8. The
/// stride is picked once at startup, so one build runs on both.
/// </summary>
internal static class EpollEventLayout
{
    public static readonly int Size = IsPacked ? 12 : 16;

    public static readonly int DataOffset = IsPacked ? 4 : 8;

    private static bool IsPacked =>
        RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.X86;
}
