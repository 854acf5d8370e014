namespace FastBridge.Interop;

/// <summary>struct iovec: one piece of a scattered buffer for readv/writev.</summary>
internal unsafe struct IoVec
{
    public void* Base;
    public nuint Length;
}
