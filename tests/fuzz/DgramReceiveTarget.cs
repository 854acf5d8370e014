using System.Text;
using FastBridge.Buffers;
using FastBridge.Diagnostics;
using FastBridge.Ports.QemuDgram;

namespace FastBridge.Fuzz;

/// <summary>
/// The <c>dgram</c> target: the input is a datagram arriving at a dgram port's socket. Byte 0 picks the sender's
/// sockaddr_un: the port's fixed peer as the kernel may report it (with no terminating zero, with one, padded with
/// zeros to the full 110 bytes), or a stranger close to it (the peer's path with its last byte changed, cut one byte
/// short, the same name in the abstract namespace, an unnamed socket); the rest is the datagram. It goes through the
/// port's own receive checks (<see cref="DgramPort.Inject"/>: scattered as recvmmsg scatters, into a small pool buffer
/// and the message's overflow area, MSG_TRUNC past 65,535 bytes). Invariants: a stranger's datagram is always a
/// foreign-sender drop; the peer's is an empty or oversize drop exactly when it is empty or longer than 65,535 bytes,
/// a no-buffer drop only when no large buffer is left, and otherwise a frame holding exactly its bytes; every buffer
/// goes back to the pool. Any exception is a crash. One port serves every input.
/// </summary>
internal static class DgramReceiveTarget
{
    private static readonly string s_peer = $"/tmp/fbfz-{Guid.NewGuid():N}"[..24] + "-peer.sock";
    private static DgramPort? s_port;
    private static PacketPool? s_pool;

    public static Action<byte[]>? For(string target) => target == "dgram" ? Run : null;

    public static void Run(byte[] input)
    {
        if (input.Length < 1)
        {
            return;
        }

        s_pool ??= new PacketPool(64, 2);
        if (s_port is null)
        {
            string path = s_peer.Replace("-peer.sock", "-port.sock", StringComparison.Ordinal);
            s_port = DgramPort.Bind("d0", path, new DgramPortOptions { Peer = s_peer });
            File.Delete(path); // the socket stays bound without its file: nothing is left behind when AFL kills the process
        }

        int choice = input[0] % 7;
        byte[] source = Source(choice, out int length);
        bool fromPeer = choice <= 2;
        ReadOnlySpan<byte> datagram = input.AsSpan(1);
        int smallBefore = s_pool.SmallAvailable;
        int largeBefore = s_pool.LargeAvailable;

        DropReason verdict = s_port.Inject(s_pool, source.AsSpan(0, length), datagram, out Packet frame);
        DropReason expected = !fromPeer ? DropReason.DgramForeignSender
            : datagram.Length == 0 ? DropReason.DgramEmpty
            : datagram.Length > DgramPort.MaxFrameLength ? DropReason.DgramOversize
            : datagram.Length > PacketPool.SmallBufferSize && largeBefore == 0 ? DropReason.NoBuffer
            : DropReason.None;
        if (verdict != expected)
        {
            throw new InvalidOperationException($"a {datagram.Length}-byte datagram from sender {choice} ended as {verdict}, not {expected}");
        }

        if (verdict == DropReason.None)
        {
            try
            {
                if (!frame.Span.SequenceEqual(datagram))
                {
                    throw new InvalidOperationException($"the {datagram.Length}-byte frame does not hold the datagram's bytes");
                }
            }
            finally
            {
                frame.Release();
            }
        }

        // The port holds at most the small buffer of slot 0 (given away with a short frame, rented again by the next input).
        if (s_pool.LargeAvailable != s_pool.LargeCount || s_pool.SmallAvailable < s_pool.SmallCount - 1)
        {
            throw new InvalidOperationException($"buffers not back: small {s_pool.SmallAvailable}/{s_pool.SmallCount} (before {smallBefore}), large {s_pool.LargeAvailable}/{s_pool.LargeCount}");
        }
    }

    /// <summary>A sockaddr_un (110 bytes) and its length as the kernel would report it.</summary>
    private static byte[] Source(int choice, out int length)
    {
        byte[] slot = new byte[110];
        slot[0] = 1; // AF_UNIX
        int n = Encoding.UTF8.GetBytes(s_peer, slot.AsSpan(2));
        length = 2 + n;
        switch (choice)
        {
            case 1:
                length++; // with its terminating zero
                break;
            case 2:
                length = 110; // zero-padded to the whole structure
                break;
            case 3:
                slot[2 + n - 1] ^= 1; // another path of the same length
                break;
            case 4:
                length--; // a prefix of the peer's path
                break;
            case 5:
                slot.AsSpan(2, n).CopyTo(slot.AsSpan(3)); // the same name, abstract
                slot[2] = 0;
                length = 3 + n;
                break;
            case 6:
                length = 2; // an unnamed socket
                break;
        }

        return slot;
    }
}
