using System.Diagnostics;

namespace FastBridge.Tests.Guests;

/// <summary>
/// The small QEMU test guest: Debian's cloud kernel and a busybox-static initramfs with the virtio-net modules, built
/// from Debian packages by tests/guest/build-guest.sh into a cache folder ($FASTBRIDGE_GUEST_DIR, else
/// /var/cache/fastbridge-guest), once per machine. <see cref="TryGet"/> runs that script once per test process (it
/// returns at once when the cache is current), so a test run on a fresh machine builds the guest by itself.
/// </summary>
internal sealed class GuestImage
{
    public const string DefaultDirectory = "/var/cache/fastbridge-guest";

    private static readonly Lazy<(GuestImage? Image, string? Missing)> s_image = new(Locate);

    private GuestImage(string directory)
    {
        Directory = directory;
        Kernel = Path.Combine(directory, "vmlinuz");
        Initrd = Path.Combine(directory, "initrd.img");
        Busybox = Path.Combine(directory, "busybox");
    }

    public string Directory { get; }

    public string Kernel { get; }

    public string Initrd { get; }

    /// <summary>The guest's static busybox, also usable on the host side of a test (nc, md5sum).</summary>
    public string Busybox { get; }

    /// <summary>The QEMU binary, or null when it is not installed.</summary>
    public static string? Qemu { get; } = FindOnPath("qemu-system-x86_64");

    /// <summary>The image, or null with the reason it could not be found or built.</summary>
    public static GuestImage? TryGet(out string? missing)
    {
        (GuestImage? image, missing) = s_image.Value;
        return image;
    }

    private static (GuestImage? Image, string? Missing) Locate()
    {
        string directory = Environment.GetEnvironmentVariable("FASTBRIDGE_GUEST_DIR") is { Length: > 0 } dir ? dir : DefaultDirectory;
        string? script = FindBuildScript();
        string buildOutput = "";
        if (script is not null)
        {
            (int code, string output) = RunBuild(script, directory);
            buildOutput = code == 0 ? "" : $": {script} failed with exit code {code}: {output.Trim()}";
        }

        var image = new GuestImage(directory);
        if (File.Exists(image.Kernel) && File.Exists(image.Initrd) && File.Exists(image.Busybox))
        {
            return (image, null);
        }

        return (null, $"no test guest in {directory}{(script is null ? " and tests/guest/build-guest.sh not found" : buildOutput)}");
    }

    private static (int Code, string Output) RunBuild(string script, string directory)
    {
        var psi = new ProcessStartInfo("bash", [script, directory])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using Process process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start bash");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return (-1, "timed out after 10 minutes");
        }

        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    /// <summary>tests/guest/build-guest.sh of the source tree the test assembly was built from.</summary>
    private static string? FindBuildScript()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            string candidate = Path.Combine(d.FullName, "tests", "guest", "build-guest.sh");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static string? FindOnPath(string file)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':'))
        {
            string candidate = Path.Combine(dir, file);
            if (dir.Length > 0 && File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
