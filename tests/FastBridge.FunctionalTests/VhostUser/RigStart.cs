using System.Runtime.ExceptionServices;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.VhostUser;

/// <summary>
/// What a class fixture's start came to (as <see cref="Guests.GuestBoot"/> does for guests): a fixture constructor can
/// neither skip nor fail one test, so it calls <see cref="Attempt"/> (which starts only when root, DPDK, hugepages and
/// the switch's vhost-user option are there, and keeps any exception) and each test calls <see cref="Require"/>: skip
/// with the reason (a failure under FASTBRIDGE_REQUIRE_E2E=1) or rethrow the start's failure.
/// </summary>
internal sealed class RigStart
{
    private readonly string? _missing;
    private readonly ExceptionDispatchInfo? _failure;

    private RigStart(string? missing, ExceptionDispatchInfo? failure)
    {
        _missing = missing;
        _failure = failure;
    }

    /// <summary>Runs <paramref name="start"/> when every prerequisite (plus <paramref name="more"/>) holds.</summary>
    public static RigStart Attempt(Action start, Func<string?>? more = null)
    {
        string? missing = PortKindMissing ?? MissingPrerequisite() ?? more?.Invoke();
        if (missing is not null)
        {
            return new RigStart(missing, null);
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            start();
            return new RigStart(null, null);
        }
        catch (Exception e)
        {
            var failure = new InvalidOperationException($"the fixture's start failed after {clock.Elapsed.TotalSeconds:0} s: {e.Message}", e);
            return new RigStart(null, ExceptionDispatchInfo.Capture(failure));
        }
    }

    /// <summary>Why this build's <c>fastbridge run</c> cannot make vhost-user ports (it does not know
    /// <c>--vhost-user</c>), or null. Until the port kind is merged the tests skip even in CI: nothing to test yet.</summary>
    public static string? PortKindMissing => s_portKindMissing.Value;

    private static readonly Lazy<string?> s_portKindMissing = new(() =>
    {
        using CliProcess help = CliProcess.Run("run --help", TimeSpan.FromSeconds(60));
        return help.Stdout.Contains("--vhost-user", StringComparison.Ordinal)
            ? null
            : "this build's fastbridge run has no --vhost-user option (the vhost-user port kind is not merged yet)";
    });

    /// <summary>Skips (also in CI) while the port kind is not in this build.</summary>
    public static void RequirePortKind() => Skip.If(PortKindMissing is not null, PortKindMissing);

    /// <summary>Call first in every test of the fixture (a [SkippableFact]).</summary>
    public void Require()
    {
        RequirePortKind();
        EndToEnd.RequirePrivileges();
        if (_missing is not null)
        {
            Assert.False(EndToEnd.Required, $"FASTBRIDGE_REQUIRE_E2E=1 but {_missing}");
            Skip.If(true, $"vhost-user test skipped: {_missing} (set FASTBRIDGE_REQUIRE_E2E=1 to make this a failure)");
        }

        _failure?.Throw();
    }

    private static string? MissingPrerequisite()
    {
        if (!Environment.IsPrivilegedProcess || !File.Exists("/dev/net/tun"))
        {
            return "not root or no /dev/net/tun";
        }

        return Testpmd.MissingPrerequisite();
    }
}
