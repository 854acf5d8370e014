using System.Runtime.ExceptionServices;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Guests;

/// <summary>
/// What a class fixture's guest boot came to, for its tests to check first. A fixture constructor can neither skip
/// nor report a failure per test, so it calls <see cref="Attempt"/> (which boots only when root, QEMU and the guest
/// image are there, and keeps any exception) and each test calls <see cref="Require"/>: it skips with the reason when
/// a prerequisite is missing (fails instead under FASTBRIDGE_REQUIRE_E2E=1, as in CI) and rethrows a boot failure.
/// </summary>
internal sealed class GuestBoot
{
    private readonly string? _missing;
    private readonly ExceptionDispatchInfo? _failure;

    private GuestBoot(GuestImage? image, string? missing, ExceptionDispatchInfo? failure)
    {
        Image = image;
        _missing = missing;
        _failure = failure;
    }

    /// <summary>The guest image, when it was found (null when a prerequisite is missing).</summary>
    public GuestImage? Image { get; }

    public static GuestBoot Attempt(Action<GuestImage> boot)
    {
        string? missing = MissingPrerequisite(out GuestImage? image);
        if (missing is not null || image is null)
        {
            return new GuestBoot(null, missing, null);
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            boot(image);
            return new GuestBoot(image, null, null);
        }
        catch (Exception e)
        {
            var failure = new InvalidOperationException($"the fixture's guest boot failed after {clock.Elapsed.TotalSeconds:0} s: {e.Message}", e);
            return new GuestBoot(image, null, ExceptionDispatchInfo.Capture(failure));
        }
    }

    /// <summary>Call first in every test of a guest fixture (a [SkippableFact]).</summary>
    public void Require()
    {
        EndToEnd.RequirePrivileges();
        if (_missing is not null)
        {
            if (EndToEnd.Required)
            {
                Assert.Fail($"FASTBRIDGE_REQUIRE_E2E=1 but {_missing}");
            }

            Skip.If(true, $"guest test skipped: {_missing} (set FASTBRIDGE_REQUIRE_E2E=1 to make this a failure)");
        }

        _failure?.Throw();
    }

    private static string? MissingPrerequisite(out GuestImage? image)
    {
        image = null;
        if (!Environment.IsPrivilegedProcess || !File.Exists("/dev/net/tun"))
        {
            return "not root or no /dev/net/tun";
        }

        if (GuestImage.Qemu is null)
        {
            return "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)";
        }

        image = GuestImage.TryGet(out string? missing);
        return missing;
    }
}
