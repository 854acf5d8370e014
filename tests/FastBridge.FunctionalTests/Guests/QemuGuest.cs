using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace FastBridge.Tests.Guests;

/// <remarks>
/// Design: one QEMU process (TCG, no KVM here) booting the <see cref="GuestImage"/> with the caller's NICs. Its serial
/// console is QEMU's stdio: the guest's /init prints "FASTBRIDGE-GUEST-READY" once its NICs are up, then reads one
/// command per line with echo off. <see cref="Run"/> wraps each command between two numbered markers and reads its
/// output and exit code back from the console. Everything the console and QEMU's stderr print is kept for failure
/// messages (<see cref="ConsoleTail"/>).
/// Thread-safety: commands are serialized; the console is read by one background thread.
/// Lifetime: <see cref="Dispose"/> kills QEMU by its PID (it is the process started: <c>ip netns exec</c> execs QEMU).
/// Booting costs seconds: share guests across a test class with a class fixture.
/// </remarks>
internal sealed partial class QemuGuest : IDisposable
{
    private const string ReadyMarker = "FASTBRIDGE-GUEST-READY";
    private static readonly TimeSpan s_defaultCommandTimeout = TimeSpan.FromSeconds(30);

    private readonly GuestImage _image;
    private readonly GuestOptions _options;
    private readonly Process _process;
    private readonly StringBuilder _console = new();
    private readonly Lock _runLock = new();
    private readonly Thread _reader;
    private readonly TimeSpan _bootTimeout;
    private int _commands;
    private bool _exited;
    private int _disposed;

    private QemuGuest(GuestImage image, GuestOptions options, Process process)
    {
        _image = image;
        _options = options;
        Name = options.Name;
        _bootTimeout = options.BootTimeout;
        _process = process;
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Append($"[qemu stderr] {e.Data}\n");
            }
        };
        _process.BeginErrorReadLine();
        _reader = new Thread(ReadConsole) { IsBackground = true, Name = $"qemu console {Name}" };
        _reader.Start();
    }

    public string Name { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Starts QEMU and returns without waiting for the boot: start several guests, then <see cref="WaitReady"/>
    /// on each, so they boot in parallel.</summary>
    public static QemuGuest Start(GuestImage image, GuestOptions options)
    {
        string qemu = GuestImage.Qemu ?? throw new InvalidOperationException("qemu-system-x86_64 is not installed");
        var psi = new ProcessStartInfo
        {
            FileName = options.NetworkNamespace is null ? qemu : "ip",
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (options.NetworkNamespace is not null)
        {
            foreach (string word in (string[])["netns", "exec", options.NetworkNamespace, qemu])
            {
                psi.ArgumentList.Add(word);
            }
        }

        foreach (string word in Arguments(image, options))
        {
            psi.ArgumentList.Add(word);
        }

        Process process = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {qemu}");
        return new QemuGuest(image, options, process);
    }

    /// <summary>Start and wait for the ready marker.</summary>
    public static QemuGuest Boot(GuestImage image, GuestOptions options)
    {
        QemuGuest guest = Start(image, options);
        try
        {
            guest.WaitReady();
            return guest;
        }
        catch
        {
            guest.Dispose();
            throw;
        }
    }

    /// <summary>Waits for /init's ready marker (NICs configured, command loop listening); throws with the console
    /// when QEMU exits or the boot timeout passes.</summary>
    public void WaitReady()
    {
        if (WaitForText(ReadyMarkerPattern(), 0, _bootTimeout) is null)
        {
            throw new TimeoutException(Describe($"not ready after {_bootTimeout.TotalSeconds:0} s"));
        }
    }

    /// <summary>Runs a shell command line (busybox sh) in the guest; returns its exit code and its stdout+stderr.
    /// On timeout it sends Ctrl-C (the command loop survives it) and throws. Keep a command under ~3000 bytes (one
    /// terminal line); put background jobs (<c>cmd &amp;</c>) in their own command.</summary>
    public (int ExitCode, string Output) Run(string command, TimeSpan? timeout = null)
    {
        if (command.Length > 3000 || command.Contains('\n', StringComparison.Ordinal))
        {
            throw new ArgumentException("a guest command is one line under 3000 bytes", nameof(command));
        }

        lock (_runLock)
        {
            int n = ++_commands;
            int from = ConsoleLength();
            string quoted = "'" + command.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
            // The empty "" keeps the marker from matching should the terminal ever echo the line back.
            Send($"echo __FB_\"\"BEGIN_{n}; eval {quoted} 2>&1; echo __FB_\"\"END_{n}_$?\n");
            var done = new Regex($"__FB_BEGIN_{n}\n(.*?)__FB_END_{n}_([0-9]+)\n", RegexOptions.Singleline);
            TimeSpan limit = timeout ?? s_defaultCommandTimeout;
            Match? match = WaitForText(done, from, limit);
            if (match is null)
            {
                Send("\u0003");
                WaitForText(done, from, TimeSpan.FromSeconds(5));
                throw new TimeoutException(Describe($"'{command}' did not finish within {limit.TotalSeconds:0} s (sent Ctrl-C)"));
            }

            return (int.Parse(match.Groups[2].ValueSpan, CultureInfo.InvariantCulture), match.Groups[1].Value);
        }
    }

    /// <summary><see cref="Run"/>, throwing with the output and console when the exit code is not 0.</summary>
    public string Exec(string command, TimeSpan? timeout = null)
    {
        (int code, string output) = Run(command, timeout);
        return code == 0 ? output : throw new InvalidOperationException(Describe($"'{command}' exited with {code}: {output.Trim()}"));
    }

    /// <summary>The last <paramref name="chars"/> characters the console and QEMU's stderr printed.</summary>
    public string ConsoleTail(int chars = 4000)
    {
        lock (_console)
        {
            int start = Math.Max(0, _console.Length - chars);
            return _console.ToString(start, _console.Length - start);
        }
    }

    /// <summary>A failure message: what went wrong, then the guest's console.</summary>
    public string Describe(string what) =>
        $"guest {Name} (qemu pid {_process.Id}{(_process.HasExited ? $", exited with {_process.ExitCode}" : "")}): {what}\n--- console ---\n{ConsoleTail()}";

    /// <summary>Kills QEMU (SIGKILL to its PID) and waits for it: to test a VM that disappears, or on dispose.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }

        _process.WaitForExit(10_000);
    }

    /// <summary>A VM restart: kills this QEMU (if still running), disposes it and starts a new one with the same
    /// image and options (the same NIC arguments, so the same tap or socket). Call <see cref="WaitReady"/> on the result.</summary>
    public QemuGuest Restart()
    {
        Dispose();
        return Start(_image, _options);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            Kill();
        }
        catch (InvalidOperationException)
        {
            // already gone
        }

        _reader.Join(TimeSpan.FromSeconds(5));
        _process.Dispose();
    }

    internal static List<string> Arguments(GuestImage image, GuestOptions options)
    {
        // no_timer_check: under TCG on a loaded host the kernel's IO-APIC timer check can time out and panic ("IO-APIC + timer
        // doesn't work"), seen here with a load average of 50; the check proves nothing about an emulated board.
        var append = new StringBuilder("console=ttyS0 quiet panic=-1 no_timer_check");
        if (options.Address is not null)
        {
            append.Append(" fb.ip=").Append(options.Address);
        }

        foreach (string argument in options.KernelArguments)
        {
            append.Append(' ').Append(argument);
        }

        List<string> args =
        [
            "-name", $"fbguest-{options.Name}", "-accel", "tcg", "-m", $"{options.MemoryMiB}", "-smp", "1",
            "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot", "-serial", "stdio",
            "-kernel", image.Kernel, "-initrd", image.Initrd, "-append", append.ToString(),
        ];
        if (options.SharedMemory)
        {
            args.AddRange(["-object", $"memory-backend-memfd,id=mem,size={options.MemoryMiB}M,share=on", "-numa", "node,memdev=mem"]);
        }

        args.AddRange(options.Devices);
        return args;
    }

    private static Regex ReadyMarkerPattern() => ReadyRegex();

    [GeneratedRegex(ReadyMarker + "[^\n]*\n")]
    private static partial Regex ReadyRegex();

    private void Send(string text)
    {
        _process.StandardInput.Write(text);
        _process.StandardInput.Flush();
    }

    private int ConsoleLength()
    {
        lock (_console)
        {
            return _console.Length;
        }
    }

    private void Append(string text)
    {
        lock (_console)
        {
            _console.Append(text);
            Monitor.PulseAll(_console);
        }
    }

    /// <summary>Waits until <paramref name="pattern"/> matches the console from <paramref name="from"/> on; null on
    /// timeout; throws when QEMU has exited without printing it.</summary>
    private Match? WaitForText(Regex pattern, int from, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        lock (_console)
        {
            while (true)
            {
                Match match = pattern.Match(_console.ToString(from, _console.Length - from));
                if (match.Success)
                {
                    return match;
                }

                if (_exited)
                {
                    throw new InvalidOperationException(Describe("QEMU exited"));
                }

                TimeSpan left = timeout - clock.Elapsed;
                if (left <= TimeSpan.Zero)
                {
                    return null;
                }

                Monitor.Wait(_console, left);
            }
        }
    }

    private void ReadConsole()
    {
        Stream stdout = _process.StandardOutput.BaseStream;
        byte[] buffer = new byte[4096];
        int read;
        try
        {
            while ((read = stdout.Read(buffer, 0, buffer.Length)) > 0)
            {
                // Latin-1 maps every byte to one char, so a read that splits a sequence never garbles the log.
                Append(Encoding.Latin1.GetString(buffer, 0, read).Replace("\r", "", StringComparison.Ordinal));
            }
        }
        catch (IOException)
        {
            // QEMU was killed
        }
        catch (ObjectDisposedException)
        {
            // disposed while reading
        }

        lock (_console)
        {
            _exited = true;
            Monitor.PulseAll(_console);
        }
    }
}
