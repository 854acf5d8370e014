namespace FastBridge.Ports.Netdev;

/// <summary>An existing interface could not be attached as a netdev port; the message says why.</summary>
public sealed class NetdevException : IOException
{
    public NetdevException(string message, int errno, string? deviceName = null)
        : base(message)
    {
        Errno = errno;
        DeviceName = deviceName;
    }

    /// <summary>The errno of the system call that failed (0 when the failure was not a failed call).</summary>
    public int Errno { get; }

    /// <summary>The interface name involved.</summary>
    public string? DeviceName { get; }
}
