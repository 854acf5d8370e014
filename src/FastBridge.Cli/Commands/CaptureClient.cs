using System.Buffers;
using System.IO.Pipelines;
using FastBridge.Capture;
using FastBridge.Control;

namespace FastBridge.Cli.Commands;

/// <summary>
/// The client end of a capture: asks the switch for the stream (docs/protocol.md, "Capture"), writes it as pcapng
/// (<see cref="PcapngCaptureSink"/>), and on Ctrl-C or SIGTERM shuts down its writing half so that the switch sends
/// what its rings still hold and the <c>end</c> event with the drops, which become the file's statistics blocks.
/// </summary>
internal static class CaptureClient
{
    /// <summary>
    /// How long after Ctrl-C the switch has to send the rest and its totals before the file is closed without them
    /// (System.CommandLine ends the process 2 s after the signal).
    /// </summary>
    private static readonly TimeSpan s_endPatience = TimeSpan.FromSeconds(1.5);

    /// <param name="interrupted">Cancelled on SIGINT or SIGTERM (System.CommandLine's, which waits briefly for this to finish).</param>
    public static async Task<int> RunAsync(string socketPath, CaptureSpec spec, string file, CancellationToken interrupted)
    {
        bool toStdout = file == "-";
        Stream output;
        try
        {
            output = toStdout ? Console.OpenStandardOutput() : new FileStream(file, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            Console.Error.WriteLine($"fastbridge: cannot write {file}: {e.Message}");
            return ExitCodes.Failed;
        }

        await using (output.ConfigureAwait(false))
        {
            try
            {
                using ControlClient client = ControlClient.Connect(socketPath);
                (ControlResponse response, _) = await client.RequestAsync(new ControlRequest { Verb = "capture", Capture = spec }, cancel: interrupted).ConfigureAwait(false);
                if (!response.Ok || response.Capture is null)
                {
                    Console.Error.WriteLine($"fastbridge: {response.Error ?? "the switch did not start the capture"}");
                    return ExitCodes.Failed;
                }

                var sink = new PcapngCaptureSink(output, flushEachBlock: toStdout, response.Capture.Snaplen, $"fastbridge {typeof(CaptureClient).Assembly.GetName().Version}", NowNanoseconds());
                return await StreamAsync(client, sink, interrupted, file, toStdout).ConfigureAwait(false);
            }
            catch (ControlClientException e)
            {
                Console.Error.WriteLine($"fastbridge: {e.Message}");
                return e.ExitCode;
            }
            catch (OperationCanceledException)
            {
                return ExitCodes.Ok; // interrupted before the capture started: nothing written but the empty file
            }
        }
    }

    private static async Task<int> StreamAsync(ControlClient client, PcapngCaptureSink sink, CancellationToken interrupted, string file, bool toStdout)
    {
        using var patience = new CancellationTokenSource();
        using CancellationTokenRegistration stop = interrupted.Register(() =>
        {
            TryStopSending(client);
            patience.CancelAfter(s_endPatience);
        });
        PipeReader reader = client.Reader;
        try
        {
            bool more = true;
            while (more)
            {
                ReadResult result = await reader.ReadAsync(patience.Token).ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = result.Buffer;
                while (more && CaptureWire.TryRead(ref buffer, out uint kind, out ReadOnlySequence<byte> body))
                {
                    more = sink.Handle(kind, body);
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
                more &= !result.IsCompleted;
            }
        }
        catch (IOException) when (toStdout)
        {
            TryStopSending(client); // the reader of our standard output went away (tcpdump -c ended): so does the capture
            return ExitCodes.Ok;
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"fastbridge: cannot write {file}: {e.Message}");
            return ExitCodes.Failed;
        }
        catch (InvalidDataException e)
        {
            Console.Error.WriteLine($"fastbridge: the switch sent a capture stream this client does not understand: {e.Message}");
        }
        catch (Exception e) when (e is OperationCanceledException or System.Net.Sockets.SocketException)
        {
            // Ctrl-C and the switch did not finish in time, or the connection broke: the file ends without its totals
        }

        try
        {
            long dropped = sink.Finish(NowNanoseconds());
            string totals = sink.End is null ? " (the switch sent no totals: drops unknown)" : $", {dropped} dropped by the capture (ring full)";
            Console.Error.WriteLine($"{sink.Frames} frames captured{totals}");
        }
        catch (IOException) when (toStdout)
        {
            return ExitCodes.Ok;
        }

        return sink.End is null && !interrupted.IsCancellationRequested ? ExitCodes.Failed : ExitCodes.Ok;
    }

    private static void TryStopSending(ControlClient client)
    {
        try
        {
            client.StopSending();
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            // already closed
        }
    }

    private static long NowNanoseconds() => (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
}
