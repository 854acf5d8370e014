using FastBridge.Diagnostics;
using FastBridge.Frames;
using FastBridge.Ports;
using FastBridge.Tests.Infrastructure;

namespace FastBridge.Embedding.Tests;

/// <summary>README's embedding example, with a port type of the host program's own, through the public API only.</summary>
public sealed class EmbeddingTests
{
    private static MacAddress Vm => MacAddress.Parse("02:00:00:00:00:0a");
    private static MacAddress Generator => MacAddress.Parse("02:00:00:00:00:0b");

    [Fact]
    public void A_host_program_switches_between_its_own_port_and_an_in_memory_port()
    {
        using var bridge = new Bridge(new BridgeOptions { Name = "embedded", Workers = 2, AgingSeconds = 60, MaxMacs = 1024 });
        var vm = new MemoryPort("vm");
        var generator = new GeneratorPort("gen", Frame(MacAddress.Broadcast, Generator, 128));
        bridge.AddPort(vm);
        bridge.AddPort(generator);
        bridge.Start();

        generator.Send(100);
        Assert.True(WaitFor(() => vm.Pending == 100), $"vm got {vm.Pending} of 100 frames");
        Assert.Equal(generator.Id, bridge.MacTable.Lookup(Generator.Value, 0));

        byte[] reply = Frame(Generator, Vm, 64);
        for (int i = 0; i < 10; i++)
        {
            Assert.True(vm.TryInject(reply));
        }

        Assert.True(WaitFor(() => generator.Received == 10));
        Assert.Equal(640, generator.ReceivedBytes);

        Span<byte> buffer = stackalloc byte[2048];
        Assert.True(vm.TryTake(buffer, out int length));
        Assert.Equal(128, length);

        BridgeCounters counters = bridge.ReadCounters();
        Assert.Equal(100, counters["gen"]!.RxFrames);
        Assert.Equal(10, counters["gen"]!.TxFrames);
        Assert.Equal(10, counters["vm"]!.Forwarded);
        Assert.Equal(2, counters.MacCount);
        Assert.Equal(1024, counters.MacCapacity);
    }

    [Fact]
    public void Static_entries_removal_and_live_ports_through_the_public_api()
    {
        using var bridge = new Bridge(new BridgeOptions { Workers = 1 });
        var a = new MemoryPort("a");
        var b = new MemoryPort("b");
        var c = new MemoryPort("c");
        bridge.AddPort(a);
        bridge.AddPort(b);
        bridge.Start();
        bridge.AddPort(c); // while running

        var pinned = MacAddress.Parse("02:00:00:00:00:99");
        Assert.True(bridge.MacTable.AddStatic(pinned, 0, c.Id));
        Assert.True(a.TryInject(Frame(pinned, Vm, 64)));
        Assert.True(WaitFor(() => c.Pending == 1));
        Assert.Equal(0, b.Pending);

        var entries = new List<FastBridge.Switching.MacEntry>();
        bridge.MacTable.CopyTo(entries);
        Assert.Contains(entries, e => e.Mac == pinned && e.IsStatic && e.Port == c.Id);

        Assert.True(bridge.RemovePort("c"));
        Assert.Equal(-1, bridge.MacTable.Lookup(pinned.Value, 0));
        Assert.Equal(["a", "b"], bridge.Ports.Select(p => p.Name));
    }

    private static byte[] Frame(MacAddress dst, MacAddress src, int length) =>
        FrameBuilder.Untagged(dst, src, FrameBuilder.EtherTypeExperimental, payloadLength: length - FrameParser.HeaderLength);

    private static bool WaitFor(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            Thread.Sleep(10);
        }

        return true;
    }
}
