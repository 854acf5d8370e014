using System.Buffers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using FastBridge.Capture;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Capture;

/// <summary>
/// What a capture must never do to the switch: hold back or drop switched frames when its reader is slow (it drops
/// and counts copies instead), or leave the switch unhealthy when its client vanishes mid-stream.
/// </summary>
[Collection(nameof(Hosts.EndToEndCollection))]
public sealed class CaptureResilienceTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public void A_reader_that_does_not_read_loses_copies_not_frames()
    {
        EndToEnd.RequirePrivileges();
        using var sw = new RunningSwitch(2);
        Assert.True(sw.Ping(0, 1));
        // Drops before the capture (a host's first multicast flooded to a TAP not yet up is `port-down`) are not its.
        Dictionary<string, long> dropsBefore = Stats(sw).ToDictionary(p => p.GetProperty("name").GetString()!, TotalDrops);
        using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        client.Connect(new UnixDomainSocketEndPoint(sw.SocketPath));
        client.Send("{\"verb\":\"capture\",\"capture\":{\"ring_kib\":4}}\n"u8);
        var stream = new MemoryStream();
        Assert.Contains("\"ok\":true", ReadLine(client, stream));

        // A flood ping of 1000-byte frames while nobody reads: the socket's buffers fill, then the 4 KiB rings.
        (int _, string ping) = sw.Host(0).TryExec($"ping -f -c 3000 -s 1000 -w 25 {SwitchedHosts.Address(1)}", 60_000);
        Assert.Contains("3000 packets transmitted, 3000 received", ping);

        JsonElement[] ports = Stats(sw);
        long counted = 0;
        foreach (JsonElement port in ports)
        {
            long drops = TotalDrops(port) - dropsBefore[port.GetProperty("name").GetString()!];
            Assert.True(drops == 0, $"the switch dropped frames while a capture ran: {port}"); // none for the capture
            // Every frame accounted for, both directions together (the earlier drops carry no direction in the JSON).
            Assert.Equal(port.GetProperty("rx_frames").GetInt64() + port.GetProperty("tx_offered").GetInt64(),
                port.GetProperty("forwarded").GetInt64() + port.GetProperty("tx_frames").GetInt64() + TotalDrops(port));
            counted += port.GetProperty("capture_dropped").GetInt64();
        }

        Assert.True(counted > 0, "no copy was dropped although nobody read them");

        // Stop, then read it all: the end event's totals are the counters' drops, and every matched copy was either
        // delivered or dropped.
        client.Shutdown(SocketShutdown.Send);
        (long frames, CaptureEvent end) = ReadToEnd(client, stream);
        Assert.Equal("stopped", end.Reason);
        Assert.Equal(counted, end.Ports!.Sum(p => p.Dropped));
        Assert.Equal(end.Ports!.Sum(p => p.Matched), frames + counted);
        Assert.True(sw.Ping(0, 1));
    }

    [Fact]
    public async Task A_capture_client_killed_mid_stream_leaves_the_switch_switching_and_capturing()
    {
        EndToEnd.RequirePrivileges();
        using var sw = new RunningSwitch(2);
        Assert.True(sw.Ping(0, 1));
        string file = CaptureCommandTests.TempFile(), again = CaptureCommandTests.TempFile();
        try
        {
            using (CliProcess capture = CaptureCommandTests.StartCapture(sw, $"-w {file}"))
            {
                var flood = Task.Run(() => sw.Host(0).TryExec($"ping -f -c 2000 -w 20 {SwitchedHosts.Address(1)}", 60_000));
                Assert.True(EndToEnd.WaitFor(() => new FileInfo(file).Length > 64 * 1024, s_timeout), "the capture wrote nothing"); // mid-stream
                capture.Signal("KILL");
                Assert.True(capture.WaitForExit(s_timeout));
                Assert.Contains("2000 received", (await flood).Output);
            }

            Assert.True(EndToEnd.WaitFor(() => sw.Process.Stderr.Contains("capture ended", StringComparison.Ordinal), s_timeout), sw.Process.Stderr);
            Assert.False(sw.Process.HasExited);
            Assert.True(sw.Ping(0, 1, count: 3));
            using CliProcess status = sw.Cli("status");
            Assert.Equal(0, status.ExitCode);

            using CliProcess next = CaptureCommandTests.StartCapture(sw, $"--ethertype ipv4 -c 4 -w {again}");
            Assert.True(sw.Ping(1, 0));
            Assert.True(next.WaitForExit(s_timeout));
            Assert.Equal(0, next.ExitCode);
            Assert.Equal(4, PcapngBlocks.Read(File.ReadAllBytes(again)).Count(b => b.Type == 6));
        }
        finally
        {
            File.Delete(file);
            File.Delete(again);
        }
    }

    private static long TotalDrops(JsonElement port) => port.GetProperty("drops").EnumerateObject().Sum(d => d.Value.GetInt64());

    private static JsonElement[] Stats(RunningSwitch sw)
    {
        using CliProcess stats = sw.Cli("stats --json");
        Assert.Equal(0, stats.ExitCode);
        using var json = JsonDocument.Parse(stats.Stdout);
        return [.. json.RootElement.GetProperty("ports").EnumerateArray().Select(p => p.Clone())];
    }

    private static string ReadLine(Socket client, MemoryStream into)
    {
        byte[] buffer = new byte[65536];
        while (Array.IndexOf(into.ToArray(), (byte)'\n') < 0)
        {
            int n = client.Receive(buffer);
            Assert.True(n > 0, "the switch closed before answering");
            into.Write(buffer, 0, n);
        }

        byte[] all = into.ToArray();
        int newline = Array.IndexOf(all, (byte)'\n');
        into.SetLength(0);
        into.Write(all, newline + 1, all.Length - newline - 1);
        return Encoding.UTF8.GetString(all, 0, newline);
    }

    /// <summary>Reads the stream to its end (bounded in time); returns the frames in it and its end event.</summary>
    private static (long Frames, CaptureEvent End) ReadToEnd(Socket client, MemoryStream stream)
    {
        client.ReceiveTimeout = (int)s_timeout.TotalMilliseconds;
        byte[] buffer = new byte[1 << 20];
        int n;
        while ((n = client.Receive(buffer)) > 0)
        {
            stream.Write(buffer, 0, n);
        }

        var records = new ReadOnlySequence<byte>(stream.ToArray());
        long frames = 0;
        CaptureEvent? end = null;
        while (CaptureWire.TryRead(ref records, out uint kind, out ReadOnlySequence<byte> body))
        {
            if (kind == CaptureWire.FrameKind)
            {
                frames++;
            }
            else if (CaptureWire.ReadEvent(body.ToArray()) is { Event: "end" } e)
            {
                end = e;
            }
        }

        Assert.True(records.IsEmpty, "the stream ended inside a record");
        return (frames, end ?? throw new Xunit.Sdk.XunitException("no end event"));
    }
}
