using System.IO.Pipelines;
using System.Net.Sockets;
using FastBridge.Capture;
using FastBridge.Dataplane;
using Microsoft.Extensions.Logging;

namespace FastBridge.Control;

/// <summary>
/// A control connection after a successful <c>capture</c> request: the capture's taps are attached to the workers
/// and what they copy is sent to the client as the frame stream (<see cref="CaptureWire"/>) until the frame count is
/// reached, the client stops it (any byte, or shutting down its writing half), the client goes away, or the switch
/// stops. It then ends with one <c>end</c> event carrying the per-port totals, and the connection closes.
/// </summary>
/// <remarks>
/// The reader polls the rings (every few milliseconds while they are empty): the dataplane never signals a capture,
/// so a capture costs the workers nothing but the copies. A client that reads slowly makes the socket send wait,
/// the rings fill and the workers drop copies (counted); they never wait for it.
/// </remarks>
internal static class CaptureStream
{
    private static readonly TimeSpan s_poll = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan s_finalFlush = TimeSpan.FromSeconds(5);

    public static async Task RunAsync(Bridge bridge, CaptureSession session, Socket socket, PipeReader input, ILogger log, CancellationToken done)
    {
        CaptureHub hub = bridge.Captures;
        byte[] batch = new byte[Math.Max(256 * 1024, session.MaxRecordBytes)];
        using var stopped = CancellationTokenSource.CreateLinkedTokenSource(done);
        Task watch = WatchForStopAsync(input, stopped);
        string reason = "stopped";
        bool clientGone = false;
        hub.Attach(session);
        try
        {
            await SendAsync(socket, batch.AsMemory(0, AnnounceWatchedPorts(bridge, session, batch)), done).ConfigureAwait(false);
            while (true)
            {
                int used = session.Drain(batch, bridge.PortNameOf);
                if (used > 0)
                {
                    await SendAsync(socket, batch.AsMemory(0, used), done).ConfigureAwait(false);
                }

                if (session.Done)
                {
                    reason = "count";
                    break;
                }

                if (stopped.IsCancellationRequested)
                {
                    reason = done.IsCancellationRequested ? "switch-stopping" : "stopped";
                    break;
                }

                if (used == 0)
                {
                    await Task.Delay(s_poll, stopped.Token).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            clientGone = true;
            reason = done.IsCancellationRequested ? "switch-stopping" : "client gone";
            log.LogDebug("capture stream ended: {Error}", e.Message);
        }
        finally
        {
            hub.Detach(session);
        }

        if (!clientGone)
        {
            await FinishAsync(bridge, session, socket, batch, reason, log).ConfigureAwait(false);
        }

        log.LogInformation("control: capture ended ({Reason}), {Frames} frames delivered", reason, session.Delivered);
        await stopped.CancelAsync().ConfigureAwait(false);
        await watch.ConfigureAwait(false);
    }

    /// <summary>What the rings still hold (up to the count), then the <c>end</c> event; bounded in time.</summary>
    private static async Task FinishAsync(Bridge bridge, CaptureSession session, Socket socket, byte[] batch, string reason, ILogger log)
    {
        using var patience = new CancellationTokenSource(s_finalFlush);
        try
        {
            int used;
            while ((used = session.Drain(batch, bridge.PortNameOf)) > 0)
            {
                await SendAsync(socket, batch.AsMemory(0, used), patience.Token).ConfigureAwait(false);
            }

            if (session.Done)
            {
                reason = "count";
            }

            byte[] end = CaptureWire.Event(new CaptureEvent { Event = "end", Reason = reason, Ports = session.Totals(bridge.PortNameOf) });
            await SendAsync(socket, end, patience.Token).ConfigureAwait(false);
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            log.LogDebug("capture stream: the end could not be sent: {Error}", e.Message);
        }
    }

    /// <summary>A <c>port</c> event for every port the capture watches that exists now; returns the bytes written.</summary>
    private static int AnnounceWatchedPorts(Bridge bridge, CaptureSession session, Span<byte> batch)
    {
        int used = 0;
        foreach (Ports.Port port in bridge.Ports)
        {
            if (session.Filter.Watches(port.Id) && (uint)port.Id < (uint)bridge.MaxPorts)
            {
                int n = session.Announce(batch[used..], port.Id, port.Name);
                if (n < 0)
                {
                    break;
                }

                used += n;
            }
        }

        return used;
    }

    private static async ValueTask SendAsync(Socket socket, ReadOnlyMemory<byte> bytes, CancellationToken cancel)
    {
        while (!bytes.IsEmpty)
        {
            int sent = await socket.SendAsync(bytes, SocketFlags.None, cancel).ConfigureAwait(false);
            bytes = bytes[sent..];
        }
    }

    /// <summary>Any byte from the client, or its end of stream, stops the capture.</summary>
    private static async Task WatchForStopAsync(PipeReader input, CancellationTokenSource stopped)
    {
        try
        {
            ReadResult result = await input.ReadAsync(stopped.Token).ConfigureAwait(false);
            input.AdvanceTo(result.Buffer.End);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException)
        {
            // stopping already, or the connection broke: either way the capture ends
        }
        finally
        {
            await stopped.CancelAsync().ConfigureAwait(false);
        }
    }
}
