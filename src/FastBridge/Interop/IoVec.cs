namespace FastBridge.Interop;

/// <summary>struct iovec: one piece of a scattered buffer for readv/writev.</summary>
/// <remarks>Safety: whoever fills one keeps <see cref="Base"/>..+<see cref="Length"/> pinned or native until the call returns.</remarks>
internal unsafe struct IoVec
{
    public void* Base;
    public nuint Length;
}
