using FastBridge;
using FastBridge.Frames;
using FastBridge.Ports;

namespace MyHypervisor;

public static class Switching
{
    /// <summary>Switches between a TAP created by name, a TAP fd the program opened, and an in-process port.</summary>
    public static void Run(int tapFd, byte[] frame)
    {
        using var bridge = new Bridge(new BridgeOptions { AgingSeconds = 300, MaxMacs = 8192 });
        bridge.AddPort(TapPort.Open("tap0"));           // create or attach a TAP by name
        bridge.AddPort(TapPort.Adopt(tapFd));           // or adopt a TAP fd your program opened (TUNSETIFF done)
        var vm = new MemoryPort("vm1");                 // or an in-process port: inject and take frames yourself
        bridge.AddPort(vm);
        bridge.Start();

        vm.TryInject(frame);                            // a frame into the switch
        var buffer = new byte[2048];
        if (vm.TryTake(buffer, out int length))         // a frame the switch sent to vm1
        {
            Console.WriteLine($"vm1 got {length} bytes");
        }

        var counters = bridge.ReadCounters();           // per port rx/tx/drops, MAC table totals
        Console.WriteLine($"{counters.MacCount} MACs learned");
        bridge.MacTable.AddStatic(MacAddress.Parse("02:00:00:00:00:01"), vlan: 0, port: vm.Id);
        bridge.RemovePort("tap0");                      // live
    }
}
