using System.Security.Cryptography;

namespace FastBridge.Tests.Guests;

/// <summary>
/// QEMU 7.2 arguments for the network back ends a FastBridge test connects a guest with (see
/// ../shared/QEMU-NOTES.md and docs/guests.md). Each returns argv words for <see cref="GuestOptions.Devices"/>.
/// </summary>
internal static class QemuArgs
{
    /// <summary>A name no other run uses: prefix plus 6 random hex digits (keep prefix ≤ 9 characters for an
    /// interface name's 15).</summary>
    public static string UniqueName(string prefix) => prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));

    /// <summary>A locally administered unicast MAC, 02:fb:xx:xx:xx:xx with random low bytes.</summary>
    public static string RandomMac() =>
        "02:fb:" + string.Join(':', RandomNumberGenerator.GetBytes(4).Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>The guest NIC: virtio-net-pci on netdev <paramref name="netdev"/>. <c>vectors=0</c> (legacy
    /// interrupts) because QEMU 7.2 under TCG segfaults when a guest starts a vhost-user NIC with MSI-X; it is harmless
    /// for the other back ends, so every guest uses it.</summary>
    public static string[] VirtioNet(string netdev, string mac) =>
        ["-device", $"virtio-net-pci,netdev={netdev},mac={mac},vectors=0"];

    /// <summary>A tap QEMU opens (or creates) itself and holds, as under libvirt; the host side stays free.</summary>
    public static string[] Tap(string netdev, string ifName) =>
        ["-netdev", $"tap,id={netdev},ifname={ifName},script=no,downscript=no"];

    /// <summary>vhost-user over a unix socket; needs <see cref="GuestOptions.SharedMemory"/>. QEMU is the client by
    /// default (the backend must already listen); with <paramref name="server"/> QEMU creates the socket and listens.
    /// Either way the guest does not boot until the two are connected: <see cref="QemuGuest.Start"/> (which does not
    /// wait), connect the backend, then <see cref="QemuGuest.WaitReady"/>. Checked with dpdk-testpmd's net_vhost
    /// (client=1) as the backend.</summary>
    public static string[] VhostUser(string netdev, string socketPath, bool server = false) =>
    [
        "-chardev", $"socket,id={netdev}c,path={socketPath}{(server ? ",server=on,wait=off" : "")}",
        "-netdev", $"vhost-user,id={netdev},chardev={netdev}c",
    ];

    /// <summary>A stream socket: each frame is a 4-byte big-endian length and the Ethernet frame. QEMU connects to
    /// <paramref name="socketPath"/> (no reconnect option in 7.2).</summary>
    public static string[] Stream(string netdev, string socketPath) =>
        ["-netdev", $"stream,id={netdev},server=off,addr.type=unix,addr.path={socketPath}"];

    /// <summary>A unix datagram socket pair: QEMU binds <paramref name="guestPath"/> (unlinking a leftover first) and
    /// sends each frame as one datagram to <paramref name="switchPath"/>.</summary>
    public static string[] Dgram(string netdev, string guestPath, string switchPath) =>
        ["-netdev", $"dgram,id={netdev},local.type=unix,local.path={guestPath},remote.type=unix,remote.path={switchPath}"];
}
