using FastBridge.Interop;

namespace FastBridge.Ports;

/// <summary>IFF_NAPI on the TAPs a port creates, for measuring it (perf/README.md, "IFF_NAPI").</summary>
/// <remarks>
/// With IFF_NAPI the kernel takes the frames written to a TAP through a NAPI poll (receive-side batching, GRO) instead of
/// handing each to the stack in the write call. The flag only counts when the device is created; an existing device
/// keeps what it was created with. <c>FASTBRIDGE_TAP_NAPI=1</c> in the environment sets it.
/// </remarks>
public sealed partial class TapPort
{
    private static readonly short s_napiFlag = Environment.GetEnvironmentVariable("FASTBRIDGE_TAP_NAPI") == "1" ? Tun.IFF_NAPI : (short)0;
}
