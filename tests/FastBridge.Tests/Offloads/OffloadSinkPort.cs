using System.Collections.Concurrent;
using FastBridge.Buffers;
using FastBridge.Dataplane;
using FastBridge.Diagnostics;
using FastBridge.Offloads;
using FastBridge.Ports;

namespace FastBridge.Tests.Offloads;

/// <summary>
/// A port that takes offloads (as a TAP with a virtio-net header and TUN_F_USO4/6 does) and records each frame it is
/// given with its offload metadata.
/// </summary>
internal sealed class OffloadSinkPort(string name) : Port(name)
{
    public ConcurrentQueue<(byte[] Frame, OffloadInfo Info)> Received { get; } = new();

    public override bool AcceptsOffloads => true;

    protected internal override int Receive(PacketPool pool, Span<Packet> burst) => 0;

    protected internal override void Transmit(ReadOnlySpan<Packet> frames, Span<DropReason> outcome)
    {
        foreach (Packet frame in frames)
        {
            Received.Enqueue((frame.Span.ToArray(), frame.Offload));
        }

        outcome.Clear();
    }
}
