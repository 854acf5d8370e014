namespace FastBridge.Cli;

/// <summary>Checks what TAP devices and namespaces need, to fail early with one clear line.</summary>
internal static class Privileges
{
    /// <summary>What is missing to create TAP devices and namespaces, or null.</summary>
    public static string? Missing()
    {
        if (!File.Exists("/dev/net/tun"))
        {
            return "/dev/net/tun does not exist: the TUN/TAP driver is not available on this machine";
        }

        if (!HasNetAdmin())
        {
            return "missing privilege: CAP_NET_ADMIN is needed to create TAP devices and network namespaces (run as root)";
        }

        return null;
    }

    /// <summary>True when the effective capability set holds CAP_NET_ADMIN (bit 12).</summary>
    public static bool HasNetAdmin()
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("CapEff:", StringComparison.Ordinal))
            {
                ulong caps = Convert.ToUInt64(line["CapEff:".Length..].Trim(), 16);
                return (caps & (1UL << 12)) != 0;
            }
        }

        return false;
    }
}
