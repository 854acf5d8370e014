namespace FastBridge.Cli.Hosting;

/// <summary>
/// Opens and adds one port while the switch starts, for every port kind alike: a refused option is a usage error
/// (exit 2), a device or socket that cannot be opened is a failure (exit 1), a name already taken is a usage error
/// and closes what was opened. Each kind says only how it opens and which exception is its own.
/// </summary>
internal static class StartupPorts
{
    public static TPort OpenAndAdd<TPort, TKindException>(Bridge bridge, Func<TPort> open)
        where TPort : FastBridge.Ports.Port
        where TKindException : Exception
    {
        TPort port;
        try
        {
            port = open();
        }
        catch (Exception e) when (e is TKindException or ArgumentException)
        {
            throw new SwitchStartException(e is ArgumentException ? ExitCodes.Usage : ExitCodes.Failed, e.Message);
        }

        try
        {
            bridge.AddPort(port);
        }
        catch (InvalidOperationException e)
        {
            port.Dispose();
            throw new SwitchStartException(ExitCodes.Usage, e.Message);
        }

        return port;
    }
}
