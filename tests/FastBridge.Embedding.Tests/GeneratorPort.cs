using FastBridge.Buffers;
using FastBridge.Diagnostics;
using FastBridge.Ports;

namespace FastBridge.Embedding.Tests;

/// <summary>
/// A port as a host program would write one: it produces frames from a template into the bridge's own buffers (no
/// copy forced by the interface beyond filling the buffer, no allocation per frame) and counts what it is sent.
/// </summary>
internal sealed class GeneratorPort(string name, byte[] template) : Port(name)
{
    private int _toSend;
    private long _received;
    private long _receivedBytes;

    public long Received => Volatile.Read(ref _received);

    public long ReceivedBytes => Volatile.Read(ref _receivedBytes);

    /// <summary>Asks the port to offer <paramref name="frames"/> more frames to the switch.</summary>
    public void Send(int frames)
    {
        Interlocked.Add(ref _toSend, frames);
        RequestPoll();
    }

    protected override int Receive(PacketPool pool, Span<Packet> burst)
    {
        int n = 0;
        while (n < burst.Length && Volatile.Read(ref _toSend) > 0 && pool.TryRent(template.Length, out Packet packet))
        {
            template.CopyTo(packet.Buffer);
            packet.SetLength(template.Length);
            burst[n++] = packet;
            Interlocked.Decrement(ref _toSend);
        }

        return n;
    }

    protected override void Transmit(ReadOnlySpan<Packet> frames, Span<DropReason> outcome)
    {
        long bytes = 0;
        foreach (Packet frame in frames)
        {
            bytes += frame.Length;
        }

        Volatile.Write(ref _receivedBytes, _receivedBytes + bytes);
        Volatile.Write(ref _received, _received + frames.Length);
    }
}
