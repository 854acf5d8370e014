using System.Diagnostics;
using FastBridge.Buffers;
using FastBridge.Diagnostics;
using FastBridge.Frames;
using FastBridge.Ports;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Tests.Hostile;

/// <summary>
/// Frames of every length a port can hand the switch, including those no TAP can carry (shorter than 14 bytes, longer
/// than 65,539), through a <see cref="MemoryPort"/>: each is counted under the reason the reference rule gives, and
/// nothing crashes.
/// </summary>
/// <remarks>
/// Config: a bridge with three in-memory ports; p1 and p2 are sinks (they count what they are sent and release it);
/// p1's station is learned first, so a well-formed frame to it goes to p1 alone.
/// Test: every length from 0 to <see cref="PacketPool.LargeBufferSize"/> (65,792, the longest frame a pool buffer
/// holds) as an untagged frame to p1; every length from 0 to 2,100 also with one 802.1Q tag, with an 802.1ad + 802.1Q
/// pair, and as random bytes. Injection waits (bounded) whenever the port's queue or the large buffers are full.
/// Verify: p0's drop counters equal the expected counts per reason exactly, every frame it received is accounted for,
/// and every well-formed frame sent to p1 was handed to p1. A frame longer than a large buffer cannot even be injected
/// (<see cref="MemoryPort.TryInject"/> returns false), so 65,792 is the true ceiling of what the switch can be shown.
/// </remarks>
public sealed class EveryLengthTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public void Every_length_from_0_to_the_largest_buffer_is_counted_under_its_reason()
    {
        using var bridge = new Bridge(new BridgeOptions { Workers = 2, StormLimit = 0, PoolFrames = 4096, LargePoolFrames = 64 });
        var p0 = new MemoryPort("p0", queueSize: 256);
        var p1 = new MemoryPort("p1", discardTransmitted: true);
        var p2 = new MemoryPort("p2", discardTransmitted: true);
        bridge.AddPort(p0);
        bridge.AddPort(p1);
        bridge.AddPort(p2);
        bridge.Start();

        var source = MacAddress.Parse("02:fb:00:00:00:01");
        var sink = MacAddress.Parse("02:fb:00:00:00:02");
        byte[] sourceBytes = new byte[6];
        source.WriteTo(sourceBytes);
        byte[] sinkBytes = new byte[6];
        sink.WriteTo(sinkBytes);
        Assert.True(p1.TryInject(FrameBuilder.Raw(source, sinkBytes, 60, FrameBuilder.EtherTypeExperimental)));
        Assert.True(EndToEnd.WaitFor(() => bridge.MacTable.Lookup(sink.Value, 0) == p1.Id, s_timeout), "p1's station was not learned");

        var expected = new long[DropReasons.Count];
        var learned = new HashSet<(ulong Mac, int Vlan)>();
        long toSink = 0;
        long injected = 0;
        var clock = Stopwatch.StartNew();

        void Send(ReadOnlySpan<byte> frame)
        {
            DropReason reason = FrameBuilder.PredictDrop(frame, learned);
            expected[(int)reason]++;
            if (reason == DropReason.None && frame.Length >= 6 && FrameBuilder.Destination(frame) == sink.Value)
            {
                toSink++;
            }

            var deadline = Stopwatch.StartNew();
            while (!p0.TryInject(frame))
            {
                Assert.True(deadline.Elapsed < s_timeout, $"p0 refused a {frame.Length}-byte frame for {s_timeout}");
                Thread.Yield();
            }

            injected++;
        }

        // Untagged, every length up to the largest buffer: one template, injected cut to each length.
        byte[] untagged = FrameBuilder.Raw(sink, sourceBytes, PacketPool.LargeBufferSize, FrameBuilder.EtherTypeExperimental);
        for (int length = 0; length <= untagged.Length; length++)
        {
            Send(untagged.AsSpan(0, length));
        }

        // Tagged, double-tagged and random, every length up to past the small/large buffer edge.
        byte[] tagged = FrameBuilder.Raw(sink, sourceBytes, 2100, FrameParser.TpidDot1Q, 0x0064, FrameBuilder.EtherTypeExperimental);
        byte[] doubled = FrameBuilder.Raw(sink, sourceBytes, 2100, FrameParser.TpidDot1ad, 0x00c8, FrameParser.TpidDot1Q, 0x0064, FrameBuilder.EtherTypeExperimental);
        var random = new Random(2049);
        byte[] noise = new byte[2100];
        for (int length = 0; length <= 2100; length++)
        {
            Send(tagged.AsSpan(0, length));
            Send(doubled.AsSpan(0, length));
            random.NextBytes(noise);
            Send(noise.AsSpan(0, length));
        }

        byte[] tooLong = new byte[PacketPool.LargeBufferSize + 1];
        Assert.False(p0.TryInject(tooLong), "a frame longer than any buffer was accepted");

        DropReason[] reasons = [DropReason.Runt, DropReason.TruncatedTag, DropReason.InvalidSource, DropReason.Oversize, DropReason.NoBuffer, DropReason.SamePort, DropReason.NoOutput];
        PortCounters? counted = null;
        PortCounters? sunk = null;
        bool settled = EndToEnd.WaitFor(() =>
        {
            BridgeCounters now = bridge.ReadCounters();
            counted = now["p0"]!;
            sunk = now["p1"]!;
            return counted.RxFrames == injected && now.Ports.All(p => p.TxOffered == p.TxFrames + p.EgressDrops);
        }, s_timeout);
        Assert.True(settled, $"p0 received {counted?.RxFrames} of {injected}; p1 offered {sunk?.TxOffered}, sent {sunk?.TxFrames}, dropped {sunk?.EgressDrops}");

        // Every well-formed frame to p1's station was handed to p1 (a loaded machine may drop some at p1's ring: the
        // injector outruns p1's worker; that is egress policy, counted, and not what this test is about).
        Assert.True(sunk!.TxOffered >= toSink, $"p1 was offered {sunk.TxOffered} frames, fewer than the {toSink} sent to it");
        Assert.Equal(sunk.TxFrames, p1.Taken);
        Console.WriteLine($"{injected} frames of every length in {clock.ElapsedMilliseconds} ms: " +
            string.Join(", ", reasons.Select(r => $"{DropReasons.Name(r)} {expected[(int)r]}")) + $", well formed {expected[0]}; p1 ring-full {sunk.Dropped(DropReason.RingFull)}");
        foreach (DropReason reason in reasons)
        {
            Assert.True(expected[(int)reason] == counted!.Dropped(reason),
                $"{DropReasons.Name(reason)}: expected {expected[(int)reason]}, counted {counted.Dropped(reason)}");
        }

        Assert.Equal(expected[0], counted!.Forwarded);
        Assert.Equal(counted.RxFrames, counted.Forwarded + counted.IngressDrops);

        // The reference rule itself is not vacuous: 0..13 bytes of each of the four contents are runts, and every
        // length from 65,537 to the largest buffer is oversize.
        Assert.Equal(4 * 14, expected[(int)DropReason.Runt]);
        Assert.Equal(PacketPool.LargeBufferSize - PacketPool.MaxFrameLength, expected[(int)DropReason.Oversize]);
        Assert.True(expected[(int)DropReason.TruncatedTag] >= 4 + 8 && expected[(int)DropReason.InvalidSource] > 500);
    }
}
