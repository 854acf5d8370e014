namespace FastBridge.Cli;

/// <summary>Process exit codes, as README documents them.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The request failed, or a privilege or device is missing.</summary>
    public const int Failed = 1;

    /// <summary>Bad command line.</summary>
    public const int Usage = 2;

    /// <summary>No switch is running at the given control socket.</summary>
    public const int NoSwitch = 3;
}
