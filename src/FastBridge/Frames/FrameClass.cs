namespace FastBridge.Frames;

/// <summary>What a frame's destination address says about who should get it.</summary>
public enum FrameClass : byte
{
    Unicast = 0,
    Multicast = 1,
    Broadcast = 2,
}
