namespace FastBridge.Ports.Vxlan;

/// <summary>A VXLAN port could not be opened (its sockets, its address); the message says why.</summary>
public sealed class VxlanException : IOException
{
    public VxlanException(string message, int errno)
        : base(message)
    {
        Errno = errno;
    }

    /// <summary>The errno of the system call that failed (0 when the failure was not a failed call).</summary>
    public int Errno { get; }
}
