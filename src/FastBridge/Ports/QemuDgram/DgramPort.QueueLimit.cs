using System.Globalization;

namespace FastBridge.Ports.QemuDgram;

/// <summary>net.unix.max_dgram_qlen: how many datagrams wait on a unix datagram socket for senders it is not connected to.</summary>
public sealed partial class DgramPort
{
    /// <summary>Below this, a burst towards QEMU (up to 32 frames a sendmmsg) can overrun the guest's socket.</summary>
    internal const int RecommendedQueueLimit = 256;

    private static int s_queueLimitWarned;

    /// <summary>
    /// net.unix.max_dgram_qlen of this process's network namespace (what sockets made now get), or null when it cannot
    /// be read. The kernel bounds each socket's queue of datagrams from senders it is not connected to by it; QEMU's dgram
    /// netdev connects to nobody, so the limit is met both ways (docs/dgram.md).
    /// </summary>
    internal static int? QueueLimit()
    {
        try
        {
            return int.TryParse(File.ReadAllText("/proc/sys/net/unix/max_dgram_qlen").Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int value)
                ? value
                : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// The warning to log, once per process, when the limit is below <see cref="RecommendedQueueLimit"/>; null when it
    /// is not (or was already given). Called when a dgram port is made, never per frame.
    /// </summary>
    internal static string? QueueLimitWarning()
    {
        int? limit = QueueLimit();
        if (limit is not { } value || value >= RecommendedQueueLimit || Interlocked.Exchange(ref s_queueLimitWarned, 1) != 0)
        {
            return null;
        }

        return $"net.unix.max_dgram_qlen is {value} in this network namespace: a dgram port's peer (QEMU) holds at most {value} " +
            "frames from the switch and the rest of a burst are ring-full drops, and QEMU waits when the switch's socket holds " +
            $"{value}; set it before the sockets are made, e.g. sysctl -w net.unix.max_dgram_qlen={RecommendedQueueLimit} (docs/dgram.md)";
    }
}
