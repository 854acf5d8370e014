namespace FastBridge.Ports;

/// <summary>A TAP device could not be opened, adopted or set up; the message says what is missing.</summary>
public sealed class TapException : IOException
{
    public TapException(string message, int errno, string? deviceName = null)
        : base(message)
    {
        Errno = errno;
        DeviceName = deviceName;
    }

    /// <summary>The errno of the system call that failed (0 when the failure was not a failed call).</summary>
    public int Errno { get; }

    /// <summary>The interface name involved, when there is one.</summary>
    public string? DeviceName { get; }
}
