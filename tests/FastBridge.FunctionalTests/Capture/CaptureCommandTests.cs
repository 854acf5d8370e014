using System.Diagnostics;
using FastBridge.Cli.Demo;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Capture;

/// <summary>
/// <c>fastbridge capture</c> against a running switch whose two TAP hosts ping each other, read back by the tools
/// users would read it with: <c>tcpdump -r</c> and Debian's <c>tshark -r</c> (interface names, directions, bytes),
/// and <c>-w -</c> piped live into tcpdump.
/// </summary>
[Collection(nameof(Hosts.EndToEndCollection))]
public sealed class CaptureCommandTests
{
    /// <summary>
    /// How long a wait for a condition may take before the test fails: generous, because every wait here includes a
    /// .NET process starting or a capture draining on a 2-core machine that other work may load to 10-20 (a wait ends
    /// as soon as its condition holds, so a quiet machine never waits this long; once, under load, 30 s ran out).
    /// </summary>
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(90);

    [Theory]
    [InlineData("capture", "--write")]
    [InlineData("capture -w x.pcapng --vlan 5000", "out of range")]
    [InlineData("capture -w x.pcapng --ethertype ipx", "'ipx' is not an EtherType")]
    [InlineData("capture -w x.pcapng --mac 02:00", "'02:00' is not a MAC address")]
    [InlineData("capture -w x.pcapng -c -1", "-1 is out of range")]
    [InlineData("capture -w x.pcapng -B 2", "out of range")]
    public void Bad_usage_is_refused_with_a_clear_reason_and_exit_2(string arguments, string reason)
    {
        using var cli = CliProcess.Run($"{arguments} --control /nonexistent/fb.sock", s_timeout);
        Assert.Equal(2, cli.ExitCode);
        Assert.Contains(reason, cli.Stderr);
    }

    [Fact]
    public void An_unknown_port_is_refused_by_the_switch()
    {
        EndToEnd.RequirePrivileges();
        using var sw = new RunningSwitch(2);
        string file = TempFile();
        try
        {
            using CliProcess cli = sw.Cli($"capture --port nosuchport -w {file}");
            Assert.Equal(1, cli.ExitCode);
            Assert.Contains("no port named 'nosuchport'", cli.Stderr);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Pings_are_captured_on_both_ports_in_both_directions_and_read_back_by_tcpdump_and_tshark()
    {
        EndToEnd.RequirePrivileges();
        using var sw = new RunningSwitch(2);
        Assert.True(sw.Ping(0, 1)); // ARP settled: only the 3 pings' frames are IPv4
        string file = TempFile();
        try
        {
            // 3 requests and 3 replies, each seen received on one port and sent by the other: 12 frames, then it ends.
            using CliProcess capture = StartCapture(sw, $"--ethertype ipv4 -c 12 -w {file}");
            Assert.True(sw.Ping(0, 1, count: 3));
            Assert.True(capture.WaitForExit(s_timeout), $"the capture did not end at its count: {capture.Stderr}; switch: {sw.Process.Stderr}");
            Assert.Equal(0, capture.ExitCode);
            Assert.Contains("12 frames captured, 0 dropped by the capture", capture.Stderr);

            string[] icmp = Lines(NetworkNamespace.TryRun("tcpdump", $"-r {file} -nn").Output, "ICMP echo");
            Assert.Equal(12, icmp.Length);
            Assert.Equal(6, icmp.Count(l => l.Contains("echo request", StringComparison.Ordinal)));

            // interface name, direction (1 received, 0 sent: Wireshark's p2p_dir from epb_flags), ICMP type, lengths
            string[] rows = Lines(NetworkNamespace.TryRun("tshark", $"-r {file} -T fields -E separator=, -e frame.interface_name -e frame.p2p_dir -e icmp.type -e frame.len -e frame.cap_len").Output, ",");
            Assert.Equal(12, rows.Length);
            string[] taps = sw.Taps;
            Assert.Equal(3, rows.Count(r => r == $"{taps[0]},1,8,98,98"));  // requests received on tap 0
            Assert.Equal(3, rows.Count(r => r == $"{taps[1]},0,8,98,98"));  // ... sent by tap 1
            Assert.Equal(3, rows.Count(r => r == $"{taps[1]},1,0,98,98"));  // replies received on tap 1
            Assert.Equal(3, rows.Count(r => r == $"{taps[0]},0,0,98,98"));  // ... sent by tap 0

            // the bytes sent are the bytes received (the switch changes nothing), and the file ends with statistics
            List<PcapngBlocks.Block> blocks = PcapngBlocks.Read(File.ReadAllBytes(file));
            var packets = blocks.Where(b => b.Type == 6).Select(PcapngBlocks.Packet).ToList();
            var received = packets.Where(p => p.Flags == 1).Select(p => Convert.ToHexString(p.Data)).Order();
            var sent = packets.Where(p => p.Flags == 2).Select(p => Convert.ToHexString(p.Data)).Order();
            Assert.Equal(received, sent);
            List<PcapngBlocks.Block> stats = blocks.Where(b => b.Type == 5).ToList();
            Assert.Equal(2, stats.Count);
            Assert.All(stats, s => Assert.Equal(0ul, PcapngBlocks.U64(PcapngBlocks.Value(PcapngBlocks.Options(s.Body, 12), 5))));
            Assert.Equal(12L, stats.Sum(s => (long)PcapngBlocks.U64(PcapngBlocks.Value(PcapngBlocks.Options(s.Body, 12), 8)))); // isb_usrdeliv
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Standard_output_streams_live_into_tcpdump()
    {
        EndToEnd.RequirePrivileges();
        using var sw = new RunningSwitch(2);
        Assert.True(sw.Ping(0, 1));
        string cli = $"{DotnetPath()} \"{CliProcess.CliDll}\" capture --control {sw.SocketPath} --ethertype ipv4 -c 8 -w -";
        var psi = new ProcessStartInfo("sh", ["-c", $"{cli} | tcpdump -r - -nn -l"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["DOTNET_CLI_HOME"] = Path.GetTempPath();
        using var pipeline = new OutputProcess(Process.Start(psi)!);
        try
        {
            Assert.True(EndToEnd.WaitFor(() => pipeline.Stderr.Contains("capturing on", StringComparison.Ordinal), s_timeout), pipeline.Stderr);
            Assert.True(sw.Ping(0, 1));

            // the first ping's 4 frames reach tcpdump while the capture still runs: live, block by block
            Assert.True(EndToEnd.WaitFor(() => Lines(pipeline.Stdout, "ICMP echo").Length == 4, s_timeout), pipeline.Stdout + pipeline.Stderr);
            Assert.False(pipeline.Process.HasExited);
            Assert.True(sw.Ping(1, 0));
            Assert.True(pipeline.Process.WaitForExit(s_timeout), "the pipeline did not end at the capture's count");
            pipeline.Process.WaitForExit();
            Assert.Equal(0, pipeline.Process.ExitCode);
            Assert.Equal(8, Lines(pipeline.Stdout, "ICMP echo").Length);
        }
        finally
        {
            if (!pipeline.Process.HasExited)
            {
                pipeline.Process.Kill(entireProcessTree: true);
            }
        }
    }

    [Fact]
    public void Two_captures_at_once_each_write_their_own_selection()
    {
        EndToEnd.RequirePrivileges();
        using var sw = new RunningSwitch(2);
        Assert.True(sw.Ping(0, 1));
        string one = TempFile(), both = TempFile();
        try
        {
            using CliProcess onTap0 = StartCapture(sw, $"--port {sw.Taps[0]} --ethertype ipv4 -c 4 -w {one}");
            using CliProcess onBoth = StartCapture(sw, $"--ethertype 0x0800 -c 8 -w {both}");
            Assert.True(sw.Ping(0, 1, count: 2));
            Assert.True(onTap0.WaitForExit(s_timeout) && onBoth.WaitForExit(s_timeout),
                $"a capture did not end at its count: {onTap0.Stderr} / {onBoth.Stderr}; switch: {sw.Process.Stderr}");
            Assert.Equal((0, 0), (onTap0.ExitCode, onBoth.ExitCode));

            string[] rowsOne = Lines(NetworkNamespace.TryRun("tshark", $"-r {one} -T fields -E separator=, -e frame.interface_name -e frame.p2p_dir").Output, ",");
            Assert.Equal(4, rowsOne.Length);
            Assert.All(rowsOne, r => Assert.StartsWith(sw.Taps[0] + ",", r, StringComparison.Ordinal));
            Assert.Equal(2, rowsOne.Count(r => r.EndsWith(",1", StringComparison.Ordinal)));
            string[] rowsBoth = Lines(NetworkNamespace.TryRun("tshark", $"-r {both} -T fields -E separator=, -e frame.interface_name -e frame.p2p_dir").Output, ",");
            Assert.Equal(8, rowsBoth.Length);
            Assert.Equal(4, rowsBoth.Count(r => r.StartsWith(sw.Taps[1] + ",", StringComparison.Ordinal)));
        }
        finally
        {
            File.Delete(one);
            File.Delete(both);
        }
    }

    [Fact]
    public void Sigint_ends_a_capture_with_a_valid_file_and_its_statistics()
    {
        EndToEnd.RequirePrivileges();
        using var sw = new RunningSwitch(2);
        Assert.True(sw.Ping(0, 1));
        string file = TempFile();
        try
        {
            using CliProcess capture = StartCapture(sw, $"--ethertype ipv4 -w {file}");
            Assert.True(sw.Ping(0, 1, count: 2));
            capture.Signal("INT");
            Assert.True(capture.WaitForExit(s_timeout));
            Assert.Equal(0, capture.ExitCode);
            Assert.Contains("8 frames captured, 0 dropped by the capture", capture.Stderr);
            List<PcapngBlocks.Block> blocks = PcapngBlocks.Read(File.ReadAllBytes(file));
            Assert.Equal(8, blocks.Count(b => b.Type == 6));
            Assert.Equal(2, blocks.Count(b => b.Type == 5));
            Assert.Equal(8, Lines(NetworkNamespace.TryRun("tcpdump", $"-r {file} -nn").Output, "ICMP echo").Length);
        }
        finally
        {
            File.Delete(file);
        }
    }

    internal static CliProcess StartCapture(RunningSwitch sw, string arguments)
    {
        CliProcess capture = CliProcess.Start($"capture {arguments} --control {sw.SocketPath}");
        Assert.True(EndToEnd.WaitFor(() => capture.Stderr.Contains("capturing on", StringComparison.Ordinal) || capture.HasExited, s_timeout),
            $"the capture did not start: {capture.Stderr}");
        Assert.False(capture.HasExited, capture.Stderr);
        return capture;
    }

    internal static string TempFile() => Path.Combine(Path.GetTempPath(), $"fbcap-{Guid.NewGuid():N}.pcapng");

    /// <summary>The lines of a tool's output that contain <paramref name="marker"/> (its stderr chatter left out).</summary>
    internal static string[] Lines(string output, string marker) =>
        output.Split('\n', StringSplitOptions.TrimEntries).Where(l => l.Contains(marker, StringComparison.Ordinal) && !l.StartsWith("Running as", StringComparison.Ordinal)).ToArray();

    private static string DotnetPath() => Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";

    /// <summary>A process whose standard output and error are collected as they come.</summary>
    private sealed class OutputProcess : IDisposable
    {
        private readonly System.Text.StringBuilder _stdout = new(), _stderr = new();

        public OutputProcess(Process process)
        {
            Process = process;
            process.OutputDataReceived += (_, e) => { lock (_stdout) { _stdout.AppendLine(e.Data); } };
            process.ErrorDataReceived += (_, e) => { lock (_stderr) { _stderr.AppendLine(e.Data); } };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public Process Process { get; }

        public string Stdout { get { lock (_stdout) { return _stdout.ToString(); } } }

        public string Stderr { get { lock (_stderr) { return _stderr.ToString(); } } }

        public void Dispose() => Process.Dispose();
    }
}
