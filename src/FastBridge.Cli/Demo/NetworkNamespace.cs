using System.Diagnostics;
using System.Security.Cryptography;

namespace FastBridge.Cli.Demo;

/// <summary>
/// A network namespace this process created, under a unique name (prefix plus a random suffix, so aborted or parallel
/// runs never collide), removed on <see cref="Dispose"/>. Used by the demo and by the end-to-end tests; it runs
/// iproute2 and friends through <see cref="Run"/>.
/// </summary>
internal sealed class NetworkNamespace : IDisposable
{
    private int _disposed;

    private NetworkNamespace(string name) => Name = name;

    public string Name { get; }

    /// <summary>Creates <c>{prefix}-{random}</c> with its loopback up.</summary>
    public static NetworkNamespace Create(string prefix = "fb")
    {
        string name = $"{prefix}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";
        Run("ip", $"netns add {name}");
        var ns = new NetworkNamespace(name);
        try
        {
            ns.Exec("ip link set dev lo up");
        }
        catch
        {
            ns.Dispose();
            throw;
        }

        return ns;
    }

    /// <summary>Runs a command inside the namespace; throws with its stderr when it fails.</summary>
    public string Exec(string commandLine, int timeoutMs = 30_000) =>
        Run("ip", $"netns exec {Name} {commandLine}", timeoutMs);

    /// <summary>Runs a command inside the namespace and returns its exit code and output, without throwing.</summary>
    public (int ExitCode, string Output) TryExec(string commandLine, int timeoutMs = 30_000) =>
        TryRun("ip", $"netns exec {Name} {commandLine}", timeoutMs);

    /// <summary>Moves interface <paramref name="ifName"/> of this process's namespace into this one.</summary>
    public void MoveIn(string ifName) => Run("ip", $"link set dev {ifName} netns {Name}");

    /// <summary>Reads /sys/class/net/IF/statistics/COUNTER as seen inside the namespace.</summary>
    public long ReadCounter(string ifName, string counter) =>
        long.Parse(Exec($"cat /sys/class/net/{ifName}/statistics/{counter}").Trim(), System.Globalization.CultureInfo.InvariantCulture);

    public static string Run(string file, string arguments, int timeoutMs = 30_000)
    {
        (int code, string output) = TryRun(file, arguments, timeoutMs);
        if (code != 0)
        {
            throw new InvalidOperationException($"'{file} {arguments}' failed with exit code {code}: {output.Trim()}");
        }

        return output;
    }

    public static (int ExitCode, string Output) TryRun(string file, string arguments, int timeoutMs = 30_000)
    {
        var psi = new ProcessStartInfo(file, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using Process process = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeoutMs))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return (-1, $"timed out after {timeoutMs} ms: {stdout.Result}{stderr.Result}");
        }

        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            TryRun("ip", $"netns del {Name}");
        }
    }
}
