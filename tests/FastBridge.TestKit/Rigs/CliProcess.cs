using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace FastBridge.Tests.Infrastructure;

/// <summary>The <c>fastbridge</c> command as a child process (the Cli assembly is copied next to the tests).</summary>
/// <remarks>
/// A verb that picks a switch (<c>run</c>, <c>stats</c>, <c>port</c>, <c>fdb</c>, <c>config</c>) falls back to the
/// name <c>fb0</c> and the socket /run/fastbridge/fb0.sock, which may belong to the user's own running switch: then
/// <c>dotnet test</c> would fail, or worse, drive that switch. So <see cref="Start"/> gives every such command that names
/// no switch itself (<c>--name</c>, <c>--control</c> or <c>--config</c>) a unique <c>--name</c> of its own.
/// </remarks>
internal sealed class CliProcess : IDisposable
{
    private static readonly string[] s_switchVerbs = ["run", "stats", "port", "fdb", "config", "capture"];
    private static readonly string[] s_switchChoices = ["--name", "--control", "--config", "--help", "-h", "-?"];

    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    private CliProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Append(_stdout, e.Data);
        _process.ErrorDataReceived += (_, e) => Append(_stderr, e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    private static readonly Lazy<string> s_publicCopy = new(MakePublicCopy);

    public static string CliDll => Path.Combine(AppContext.BaseDirectory, "FastBridge.Cli.dll");

    /// <summary>
    /// The CLI copied to a world-readable directory, for a wrapper that switches to another uid: a checkout may sit in
    /// a directory only root can read (mktemp -d makes them 0700). Removed when the test process exits.
    /// </summary>
    private static string MakePublicCopy()
    {
        foreach (string stale in Directory.GetDirectories(Path.GetTempPath(), "fastbridge-cli-*"))
        {
            // Copies of test processes that are gone (a test host may be killed before ProcessExit runs).
            if (int.TryParse(Path.GetFileName(stale)["fastbridge-cli-".Length..], out int pid) && !Directory.Exists($"/proc/{pid}"))
            {
                Directory.Delete(stale, recursive: true);
            }
        }

        string dir = Path.Combine(Path.GetTempPath(), $"fastbridge-cli-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        File.SetUnixFileMode(dir, (UnixFileMode)0b111_101_101);
        foreach (string file in Directory.GetFiles(AppContext.BaseDirectory))
        {
            string copy = Path.Combine(dir, Path.GetFileName(file));
            File.Copy(file, copy, overwrite: true);
            File.SetUnixFileMode(copy, (UnixFileMode)0b110_100_100);
        }

        AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(dir, recursive: true);
        return Path.Combine(dir, "FastBridge.Cli.dll");
    }

    public int Pid => _process.Id;

    /// <summary>A switch name no user's switch holds: "fbtest" and a random suffix (socket /run/fastbridge/NAME.sock).</summary>
    public static string UniqueSwitchName() => "fbtest" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));

    /// <summary>
    /// <paramref name="arguments"/>, plus <c>--name</c> with a <see cref="UniqueSwitchName"/> when they are for a verb
    /// that picks a switch and name none (see the remarks on <see cref="CliProcess"/>).
    /// </summary>
    public static string WithOwnSwitch(string arguments)
    {
        string[] words = arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0 || Array.IndexOf(s_switchVerbs, words[0]) < 0)
        {
            return arguments;
        }

        foreach (string word in words)
        {
            if (Array.IndexOf(s_switchChoices, word) >= 0)
            {
                return arguments;
            }
        }

        // Right after `run` (so a test of a trailing option without its value keeps it trailing); after a management
        // verb's subcommand, where its --name option lives.
        return words[0] == "run"
            ? $"run --name {UniqueSwitchName()} {string.Join(' ', words[1..])}".TrimEnd()
            : $"{arguments} --name {UniqueSwitchName()}";
    }

    public string Stdout { get { lock (_stdout) { return _stdout.ToString(); } } }

    public string Stderr { get { lock (_stderr) { return _stderr.ToString(); } } }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Starts <c>fastbridge ARGS</c>, optionally wrapped (e.g. by setpriv to drop privileges).</summary>
    public static CliProcess Start(string arguments, string? wrapper = null)
    {
        arguments = WithOwnSwitch(arguments);
        string dotnet = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";
        string dll = wrapper is not null && wrapper.Contains("--reuid", StringComparison.Ordinal) ? s_publicCopy.Value : CliDll;
        string command = $"\"{dotnet}\" \"{dll}\" {arguments}";

        // A test run started in the background (a CI script's `&`) inherits SIGINT and SIGQUIT ignored, and .NET keeps
        // a signal ignored at start-up ignored: env puts them back to default, so Signal("INT") reaches the switch as
        // it does from a terminal (CI at e6b19e2: "no exit after SIGINT"). env execs, so the process id stays the CLI's.
        var psi = new ProcessStartInfo("env", $"--default-signal=INT,QUIT {(wrapper is null ? command : $"{wrapper} {command}")}");
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.UseShellExecute = false;
        psi.Environment["DOTNET_CLI_HOME"] = Path.GetTempPath();
        return new CliProcess(Process.Start(psi) ?? throw new InvalidOperationException("cannot start fastbridge"));
    }

    /// <summary>Runs to completion (bounded) and returns the exit code.</summary>
    public static CliProcess Run(string arguments, TimeSpan timeout, string? wrapper = null)
    {
        var cli = Start(arguments, wrapper);
        if (!cli.WaitForExit(timeout))
        {
            cli.Dispose();
            Assert.Fail($"fastbridge {arguments} did not finish within {timeout}");
        }

        return cli;
    }

    public bool WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            return false;
        }

        _process.WaitForExit(); // flush the asynchronous output readers
        return true;
    }

    /// <summary>Sends a signal to this child (by its pid only).</summary>
    public void Signal(string name) => Process.Start("kill", $"-{name} {_process.Id}")!.WaitForExit();

    private static void Append(StringBuilder into, string? line)
    {
        if (line is not null)
        {
            lock (into)
            {
                into.AppendLine(line);
            }
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }

        _process.Dispose();
    }
}
