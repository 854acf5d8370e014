namespace FastBridge.Ports;

/// <summary>Whether a port can carry frames.</summary>
public enum PortState
{
    /// <summary>Receiving and transmitting.</summary>
    Up = 0,

    /// <summary>The link is down (TAP interface set down): writes fail, the port comes back by itself when it is set up.</summary>
    LinkDown = 1,

    /// <summary>The device is gone (deleted, fd failed): the port carries nothing until it is removed and added again.</summary>
    Gone = 2,
}

/// <summary>The one spelling of each <see cref="PortState"/> in the control protocol, the CLI and the logs.</summary>
public static class PortStateNames
{
    /// <summary>"up", "down" or "gone".</summary>
    public static string Name(this PortState state) => state switch
    {
        PortState.Up => "up",
        PortState.LinkDown => "down",
        PortState.Gone => "gone",
        _ => state.ToString().ToLowerInvariant(),
    };
}
