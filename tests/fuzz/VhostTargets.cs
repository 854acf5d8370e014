namespace FastBridge.Fuzz;

/// <summary>
/// The vhost-user port's targets (<c>run.sh vhost-message|vhost-walker SECONDS</c>), registered with Program in one
/// place: <see cref="VhostMessageTarget"/> (the socket's messages through the device) and
/// <see cref="VhostWalkerTarget"/> (descriptor chains against a reference walk).
/// </summary>
internal static class VhostTargets
{
    public static Action<byte[]>? For(string target) => target switch
    {
        "vhost-message" => VhostMessageTarget.Run,
        "vhost-walker" => VhostWalkerTarget.Run,
        _ => null,
    };
}
