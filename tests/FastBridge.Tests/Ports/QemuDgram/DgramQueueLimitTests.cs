using System.Globalization;
using FastBridge.Ports.QemuDgram;

namespace FastBridge.Tests.Ports.QemuDgram;

/// <summary>The one-time warning about a low net.unix.max_dgram_qlen, given when a dgram port is made.</summary>
public sealed class DgramQueueLimitTests
{
    [Fact]
    public void The_limit_is_the_namespaces_sysctl_and_a_low_one_is_warned_about_once()
    {
        int sysctl = int.Parse(File.ReadAllText("/proc/sys/net/unix/max_dgram_qlen").Trim(), CultureInfo.InvariantCulture);
        Assert.Equal(sysctl, DgramPort.QueueLimit());

        string? first = DgramPort.QueueLimitWarning();
        if (sysctl < DgramPort.RecommendedQueueLimit)
        {
            Assert.NotNull(first);
            Assert.Contains($"net.unix.max_dgram_qlen is {sysctl}", first, StringComparison.Ordinal);
            Assert.Contains($"sysctl -w net.unix.max_dgram_qlen={DgramPort.RecommendedQueueLimit}", first, StringComparison.Ordinal);
        }
        else
        {
            Assert.Null(first);
        }

        Assert.Null(DgramPort.QueueLimitWarning()); // once per process, never per port or frame
    }
}
