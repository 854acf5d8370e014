using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace FastBridge.Tests.Infrastructure;

/// <remarks>
/// Design: one <c>dpdk-testpmd</c> process (DPDK 22.11, Debian package dpdk) as a real vhost-user frontend: its
/// virtio-user ports (<see cref="VirtioUser"/>) connect to a switch's sockets, or listen with <c>server=1</c>. It runs
/// interactively: <see cref="Command"/> writes one line to its stdin and returns what it printed up to the next
/// <c>testpmd&gt; </c> prompt; <see cref="Stats"/> parses <c>show port stats all</c>; <see cref="WaitForStats"/> polls
/// until a condition holds or a timeout passes. Always <c>--no-pci</c>: it never touches a real NIC.
/// Thread-safety: commands are serialized; stdout is read by one background thread.
/// Lifetime: <see cref="Dispose"/> asks it to quit, then kills it by its PID (stdbuf execs testpmd, so the process
/// started is testpmd), then removes its hugepage files and /var/run/dpdk/PREFIX (the prefix is unique per instance).
/// With a virtio-user port in server mode, testpmd waits for the backend before its prompt: <see cref="Start"/> returns
/// at once, connect the backend, then <see cref="WaitReady"/>.
/// </remarks>
internal sealed partial class Testpmd : IDisposable
{
    public const string Prompt = "testpmd> ";
    public static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _errors = new();
    private readonly Lock _commandLock = new();
    private readonly Thread _reader;
    private readonly TimeSpan _startTimeout;
    private bool _exited;
    private int _disposed;

    private Testpmd(Process process, string filePrefix, TimeSpan startTimeout)
    {
        _process = process;
        Pid = process.Id;
        FilePrefix = filePrefix;
        _startTimeout = startTimeout;
        _reader = new Thread(ReadOutput) { IsBackground = true, Name = $"testpmd {filePrefix}" };
        _reader.Start();
    }

    /// <summary>The DPDK <c>--file-prefix</c>: names its hugepage files and its runtime folder.</summary>
    public string FilePrefix { get; }

    public int Pid { get; }

    public bool HasExited => _exited || _disposed != 0 || _process.HasExited;

    /// <summary>dpdk-testpmd on PATH, or null.</summary>
    public static string? Binary { get; } = FindOnPath("dpdk-testpmd");

    /// <summary>A <c>--vdev</c> value for a virtio-user port (the frontend); <paramref name="server"/>: testpmd
    /// listens on the socket and the backend connects.</summary>
    public static string VirtioUser(int index, string socketPath, string mac, bool server = false, int queueSize = 256) =>
        $"net_virtio_user{index},path={socketPath},queues=1,queue_size={queueSize},mac={mac}{(server ? ",server=1" : "")}";

    /// <summary>A <c>--vdev</c> value for DPDK's own vhost-user backend (net_vhost): a reference peer for the rig.</summary>
    public static string VhostBackend(int index, string socketPath, bool client = false) =>
        $"net_vhost{index},iface={socketPath},queues=1{(client ? ",client=1" : "")}";

    /// <summary>Null when testpmd can run here (root, the binary, hugepages), else why not.</summary>
    public static string? MissingPrerequisite(int hugepages = 512)
    {
        if (Binary is null)
        {
            return "dpdk-testpmd is not installed (apt-get install dpdk)";
        }

        return Hugepages.Ensure(hugepages, out string why) is null ? why : null;
    }

    /// <summary>Call first in a test that drives testpmd (after <see cref="EndToEnd.RequirePrivileges"/>): skips with
    /// the reason, or fails under FASTBRIDGE_REQUIRE_E2E=1.</summary>
    public static void Require()
    {
        string? missing = MissingPrerequisite();
        if (missing is not null)
        {
            Assert.False(EndToEnd.Required, $"FASTBRIDGE_REQUIRE_E2E=1 but {missing}");
            Skip.If(true, $"testpmd test skipped: {missing}");
        }
    }

    /// <summary>Starts testpmd and returns without waiting for its prompt.</summary>
    public static Testpmd Start(TestpmdOptions options)
    {
        string binary = Binary ?? throw new InvalidOperationException("dpdk-testpmd is not installed");
        string prefix = "fbtp" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        var psi = new ProcessStartInfo("stdbuf")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };

        // stdbuf -oL: testpmd's answers are printf()s, block-buffered into a pipe otherwise.
        string[] eal = ["-oL", binary, "-l", options.Cores, "--file-prefix=" + prefix, "--no-pci", "--single-file-segments",
            "-m", options.MemoryMiB.ToString(CultureInfo.InvariantCulture), "--log-level=lib.eal:warning"];
        foreach (string word in eal)
        {
            psi.ArgumentList.Add(word);
        }

        foreach (string vdev in options.Vdevs)
        {
            psi.ArgumentList.Add("--vdev");
            psi.ArgumentList.Add(vdev);
        }

        psi.ArgumentList.Add("--");
        psi.ArgumentList.Add("-i");
        psi.ArgumentList.Add("--forward-mode=" + options.ForwardMode);
        psi.ArgumentList.Add("--nb-cores=1");
        psi.ArgumentList.Add("--total-num-mbufs=" + options.Mbufs.ToString(CultureInfo.InvariantCulture));
        for (int port = 0; port < options.EthPeers.Count; port++)
        {
            psi.ArgumentList.Add($"--eth-peer={port},{options.EthPeers[port]}");
        }

        foreach (string word in options.ExtraArguments)
        {
            psi.ArgumentList.Add(word);
        }

        Process process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start dpdk-testpmd");
        var testpmd = new Testpmd(process, prefix, options.StartTimeout);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                testpmd.AppendError(e.Data); // kept apart: a stderr line landing inside "testpmd> " hid the prompt
            }
        };
        process.BeginErrorReadLine();
        return testpmd;
    }

    /// <summary>Start and wait for the prompt (ports probed and started).</summary>
    public static Testpmd Run(TestpmdOptions options)
    {
        Testpmd testpmd = Start(options);
        try
        {
            testpmd.WaitReady();
            return testpmd;
        }
        catch
        {
            testpmd.Dispose();
            throw;
        }
    }

    /// <summary>Waits for the first prompt; throws with the output when testpmd exits or the start timeout passes.</summary>
    public void WaitReady()
    {
        if (WaitForText(text => text.IndexOf(Prompt, StringComparison.Ordinal), _startTimeout) < 0)
        {
            throw new TimeoutException(Describe($"testpmd gave no prompt within {_startTimeout.TotalSeconds:0} s"));
        }
    }

    /// <summary>Runs one interactive command; returns what testpmd printed for it (without the echoed command line).</summary>
    public string Command(string command, TimeSpan? timeout = null)
    {
        if (command.Contains('\n', StringComparison.Ordinal))
        {
            throw new ArgumentException("one command per call", nameof(command));
        }

        lock (_commandLock)
        {
            int start = Length;
            _process.StandardInput.WriteLine(command);
            _process.StandardInput.Flush();
            TimeSpan limit = timeout ?? CommandTimeout;
            int prompt = WaitForText(text => text.IndexOf(Prompt, start, StringComparison.Ordinal), limit);
            if (prompt < 0)
            {
                throw new TimeoutException(Describe($"'{command}' got no prompt within {limit.TotalSeconds:0} s"));
            }

            string answer = Text()[start..prompt];
            int firstLine = answer.IndexOf('\n', StringComparison.Ordinal);
            return firstLine < 0 ? "" : answer[(firstLine + 1)..];
        }
    }

    /// <summary><c>set txpkts LENGTH</c>: the frame length (without FCS) of what tx_first and txonly send.</summary>
    public void SetTxPackets(int length) => Command($"set txpkts {length.ToString(CultureInfo.InvariantCulture)}");

    /// <summary><c>start tx_first BURSTS</c>: each port sends BURSTS bursts of 32 frames, then forwarding starts.</summary>
    public void StartTxFirst(int bursts) => Command($"start tx_first {bursts.ToString(CultureInfo.InvariantCulture)}");

    /// <summary><c>stop</c>: forwarding ends (counters stay).</summary>
    public void Stop() => Command("stop");

    /// <summary><c>show port stats all</c>, parsed; ordered by port id.</summary>
    public IReadOnlyList<TestpmdPortStats> Stats() => TestpmdPortStats.Parse(Command("show port stats all"));

    /// <summary>Polls <see cref="Stats"/> until <paramref name="condition"/> holds; returns those stats, or throws with
    /// the last ones when <paramref name="timeout"/> passes.</summary>
    public IReadOnlyList<TestpmdPortStats> WaitForStats(Func<IReadOnlyList<TestpmdPortStats>, bool> condition, TimeSpan timeout,
        string what = "condition")
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            IReadOnlyList<TestpmdPortStats> stats = Stats();
            if (condition(stats))
            {
                return stats;
            }

            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException(
                    $"testpmd: {what} not reached within {timeout.TotalSeconds:0} s; last stats: {string.Join("; ", stats)}");
            }

            Thread.Sleep(100);
        }
    }

    /// <summary>Everything testpmd printed on stdout so far (prompts and answers; stderr is in <see cref="Describe"/>).</summary>
    public string Text()
    {
        lock (_output)
        {
            return _output.ToString();
        }
    }

    /// <summary>A failure message: what went wrong and the last lines testpmd printed.</summary>
    public string Describe(string what)
    {
        string text = Text();
        string tail = text.Length > 3000 ? text[^3000..] : text;
        string errors;
        lock (_errors)
        {
            errors = _errors.Length > 2000 ? _errors.ToString()[^2000..] : _errors.ToString();
        }

        return $"{what} (testpmd {FilePrefix}, pid {Pid}{(HasExited ? ", exited" : "")}); output tail:\n{tail}\nstderr tail:\n{errors}";
    }

    private int Length
    {
        get
        {
            lock (_output)
            {
                return _output.Length;
            }
        }
    }

    /// <summary>Waits until <paramref name="find"/> returns an index &gt;= 0 over the output so far; -1 on timeout or
    /// when testpmd has exited.</summary>
    private int WaitForText(Func<string, int> find, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        lock (_output)
        {
            while (true)
            {
                int found = find(_output.ToString());
                if (found >= 0)
                {
                    return found;
                }

                TimeSpan left = timeout - clock.Elapsed;
                if (_exited || left <= TimeSpan.Zero)
                {
                    return -1;
                }

                Monitor.Wait(_output, left < TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1));
            }
        }
    }

    private void ReadOutput()
    {
        var buffer = new char[4096];
        try
        {
            int n;
            while ((n = _process.StandardOutput.Read(buffer, 0, buffer.Length)) > 0)
            {
                Append(new string(buffer, 0, n));
            }
        }
        catch (IOException)
        {
        }
        catch (ObjectDisposedException)
        {
        }

        lock (_output)
        {
            _exited = true;
            Monitor.PulseAll(_output);
        }
    }

    private void AppendError(string line)
    {
        lock (_errors)
        {
            _errors.Append(line).Append('\n');
        }
    }

    private void Append(string text)
    {
        lock (_output)
        {
            _output.Append(text);
            Monitor.PulseAll(_output);
        }
    }

    private static string? FindOnPath(string name)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':'))
        {
            string candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>SIGKILL by PID (a frontend that vanishes without a word, as a crashed VM would), then its hugepage
    /// files go. The object is disposed.</summary>
    public void Kill()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (!_process.HasExited)
        {
            _process.Kill();
        }

        _process.WaitForExit(10_000);
        _reader.Join(TimeSpan.FromSeconds(5));
        _process.Dispose();
        Hugepages.Clean(FilePrefix);
    }

    /// <summary>Quit (bounded), kill by PID if it lingers, then remove its hugepage files and runtime folder.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            if (!_process.HasExited)
            {
                _process.StandardInput.WriteLine("quit");
                _process.StandardInput.Close();
            }
        }
        catch (IOException)
        {
        }

        if (!_process.WaitForExit(10_000))
        {
            _process.Kill();
            _process.WaitForExit(10_000);
        }

        _reader.Join(TimeSpan.FromSeconds(5));
        _process.Dispose();
        Hugepages.Clean(FilePrefix);
    }
}

/// <summary>How <see cref="Testpmd.Start"/> runs testpmd.</summary>
internal sealed record TestpmdOptions
{
    /// <summary>The <c>--vdev</c> values, in port order (<see cref="Testpmd.VirtioUser"/>, <see cref="Testpmd.VhostBackend"/>).</summary>
    public required IReadOnlyList<string> Vdevs { get; init; }

    /// <summary>io (frames go out the paired port unchanged), macswap (back out the same port, MACs swapped), txonly, ...</summary>
    public string ForwardMode { get; init; } = "io";

    /// <summary>Per port, in order: the destination MAC that tx_first/txonly (and mac mode) use.</summary>
    public IReadOnlyList<string> EthPeers { get; init; } = [];

    /// <summary>The lcores (EAL <c>-l</c>): the first is the main lcore, the next one forwards (and busy-polls a CPU).</summary>
    public string Cores { get; init; } = "0,1";

    public int MemoryMiB { get; init; } = 256;

    public int Mbufs { get; init; } = 8192;

    /// <summary>More testpmd arguments (after <c>--</c>).</summary>
    public IReadOnlyList<string> ExtraArguments { get; init; } = [];

    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(90);
}

/// <summary>One port's block of <c>show port stats all</c>.</summary>
internal sealed partial record TestpmdPortStats(int Port, long RxPackets, long RxMissed, long RxBytes, long RxErrors,
    long RxNoMbuf, long TxPackets, long TxErrors, long TxBytes)
{
    public static IReadOnlyList<TestpmdPortStats> Parse(string text)
    {
        var ports = new List<TestpmdPortStats>();
        foreach (Match m in Block().Matches(text))
        {
            long N(string group) => long.Parse(m.Groups[group].Value, CultureInfo.InvariantCulture);
            ports.Add(new TestpmdPortStats((int)N("port"), N("rxp"), N("rxm"), N("rxb"), N("rxe"), N("nombuf"), N("txp"),
                N("txe"), N("txb")));
        }

        ports.Sort((a, b) => a.Port.CompareTo(b.Port));
        return ports;
    }

    [GeneratedRegex(@"NIC statistics for port (?<port>\d+)\s.*?RX-packets:\s*(?<rxp>\d+)\s+RX-missed:\s*(?<rxm>\d+)\s+RX-bytes:\s*(?<rxb>\d+)\s+RX-errors:\s*(?<rxe>\d+)\s+RX-nombuf:\s*(?<nombuf>\d+)\s+TX-packets:\s*(?<txp>\d+)\s+TX-errors:\s*(?<txe>\d+)\s+TX-bytes:\s*(?<txb>\d+)",
        RegexOptions.Singleline)]
    private static partial Regex Block();
}
