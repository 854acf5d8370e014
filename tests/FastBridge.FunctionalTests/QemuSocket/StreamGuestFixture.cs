using FastBridge.Tests.Guests;
using FastBridge.Tests.VhostUser;

namespace FastBridge.Tests.QemuSocket;

/// <summary>
/// The guest on stream port <c>g0</c> with <c>-netdev stream,server=off</c>: FastBridge listens, QEMU connects. QEMU
/// 7.2's stream netdev does not reconnect by itself, so a new QEMU is what comes back after a restart.
/// </summary>
public sealed class StreamGuestFixture() : SocketGuestFixture("stream", "fbsg", "198.18.78")
{
    private protected override string GuestSocketFor(SocketFolder folder, string switchSocket) => switchSocket;

    protected override IEnumerable<string> Netdev(string id) => QemuArgs.Stream(id, GuestSocket);
}
