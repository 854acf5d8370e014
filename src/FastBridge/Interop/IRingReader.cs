namespace FastBridge.Interop;

/// <summary>Whoever armed reads in an <see cref="IoUringBatch"/>: told of each one's result as the ring reaps it.</summary>
internal interface IRingReader
{
    /// <summary>
    /// The read in <paramref name="slot"/> completed with <paramref name="result"/> (bytes, or -errno). Returns true
    /// when the reader keeps the completion to take later (it then reports it through <see cref="IoUringBatch.Delivered"/>),
    /// false when it dealt with it at once.
    /// </summary>
    bool OnReadComplete(int slot, int result);
}
