namespace FastBridge.Tests.Infrastructure;

/// <summary>
/// Gate for tests that need root, /dev/net/tun and network namespaces. They skip with the reason when the machine
/// cannot run them, unless FASTBRIDGE_REQUIRE_E2E=1 (set by .ci/run), where a missing prerequisite is a failure.
/// </summary>
internal static class EndToEnd
{
    public static bool Required => Environment.GetEnvironmentVariable("FASTBRIDGE_REQUIRE_E2E") == "1";

    /// <summary>Call first in an end-to-end test (a [SkippableFact]).</summary>
    public static void RequirePrivileges()
    {
        string? missing = MissingPrerequisite();
        if (missing is null)
        {
            return;
        }

        if (Required)
        {
            Assert.Fail($"FASTBRIDGE_REQUIRE_E2E=1 but {missing}");
        }

        Skip.If(true, $"end-to-end test skipped: {missing} (set FASTBRIDGE_REQUIRE_E2E=1 to make this a failure)");
    }

    private static string? MissingPrerequisite()
    {
        if (Environment.UserName != "root" && Environment.GetEnvironmentVariable("USER") != "root" && !IsUidZero())
        {
            return "not running as root (needs CAP_NET_ADMIN for TAP devices and namespaces)";
        }

        if (!File.Exists("/dev/net/tun"))
        {
            return "/dev/net/tun does not exist";
        }

        return null;
    }

    private static bool IsUidZero()
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("Uid:", StringComparison.Ordinal))
            {
                string[] parts = line.Split('\t', StringSplitOptions.RemoveEmptyEntries);
                return parts.Length > 1 && parts[1] == "0";
            }
        }

        return false;
    }

    /// <summary>Polls <paramref name="condition"/> until it holds or <paramref name="timeout"/> passes.</summary>
    public static bool WaitFor(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (condition())
            {
                return true;
            }

            Thread.Sleep(20);
        }

        return condition();
    }
}
