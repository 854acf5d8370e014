using FastBridge.Tests.Guests;
using FastBridge.Tests.VhostUser;

namespace FastBridge.Tests.QemuDgram;

/// <summary>
/// The guest on dgram port <c>g0</c> with <c>-netdev dgram</c> over unix sockets: FastBridge binds the switch's path,
/// QEMU its own (<see cref="SocketGuestFixture.GuestSocket"/>) and sends there.
/// </summary>
public sealed class DgramGuestFixture() : SocketGuestFixture("dgram", "fbdg", "198.18.79")
{
    private protected override string GuestSocketFor(SocketFolder folder, string switchSocket) => folder.Path("guest0");

    protected override IEnumerable<string> Netdev(string id) => QemuArgs.Dgram(id, GuestSocket, SwitchSocket);

    /// <summary>
    /// A datagram peer has no connection to lose: the host pings the guest so that the switch sends towards g0 and
    /// finds the peer gone (an exiting QEMU leaves its socket file: ECONNREFUSED).
    /// </summary>
    protected override void AfterGuestKilled() => Host.TryExec($"ping -c 3 -W 1 {GuestAddress}");
}
