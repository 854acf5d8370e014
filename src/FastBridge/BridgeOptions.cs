using FastBridge.Switching;
using Microsoft.Extensions.Logging;

namespace FastBridge;

/// <summary>How a <see cref="Bridge"/> is built. Defaults follow the Linux bridge and Open vSwitch.</summary>
public sealed class BridgeOptions
{
    /// <summary>Name of the bridge (used in logs and, by the CLI, for its control socket).</summary>
    public string Name { get; set; } = "fb0";

    /// <summary>Seconds an unrefreshed MAC entry lives; 300 like the Linux bridge and OVS; 0 = never age.</summary>
    public int AgingSeconds { get; set; } = MacTable.DefaultAgingSeconds;

    /// <summary>MAC table capacity; 8192 like OVS. When full, new stations are not learned and their frames flood.</summary>
    public int MaxMacs { get; set; } = MacTable.DefaultCapacity;

    /// <summary>
    /// Storm control: the most frames per second a port may flood, for each of broadcast, multicast and unknown unicast
    /// separately; floods above it are dropped as <c>storm-limit</c>. 0 turns it off. The default, 100,000 frames/s, is
    /// far above what ARP, DHCP or neighbour discovery need, yet keeps a loop or a broadcasting guest from filling every
    /// other port (a TAP port moves well under a million frames a second).
    /// </summary>
    public int StormLimit { get; set; } = DefaultStormLimit;

    public const int DefaultStormLimit = 100_000;

    /// <summary>
    /// Most MACs one port may have learned (like the Linux bridge's learning limit); 0 = no limit. Whatever it is, a
    /// full table evicts from the port holding the most entries (OVS's fair eviction), so a port flooding random source
    /// MACs can never push out the stations of other ports.
    /// </summary>
    public int MaxMacsPerPort { get; set; }

    /// <summary>
    /// Dataplane worker threads; 0 = half the processors, at least one. A TAP write runs the receiving host's network
    /// stack in the writer's context, and the hosts need cores too: on 2 vCPUs one worker beat two on every measure
    /// (perf/RESULTS.md: 64-byte rate, RTT p50 36 vs 64 µs, same TCP).
    /// </summary>
    public int Workers { get; set; }

    /// <summary>Most ports the bridge can hold at once.</summary>
    public int MaxPorts { get; set; } = 256;

    /// <summary>Frames read from a port per wake-up, and the most a worker moves in one go.</summary>
    public int BurstSize { get; set; } = 64;

    /// <summary>Slots in each worker-to-port ring (a power of two). A full ring drops and counts.</summary>
    public int RingSize { get; set; } = 1024;

    /// <summary>Small (2 KiB) frame buffers in the pool.</summary>
    public int PoolFrames { get; set; } = 16384;

    /// <summary>
    /// Large (64 KiB + 256 B) frame buffers in the pool, for jumbo frames and GSO super-frames. With TAP offloads on
    /// (the default) most frames of a TCP stream are super-frames and each one in the switch holds a large buffer from
    /// read to write, so the default is 256: 16.1 MiB of address space, resident as buffers get used. When all are in
    /// use, an offload TAP stops reading (the frames wait in the kernel's queue) instead of dropping; fewer buffers cost
    /// no drops, only more waiting (perf/OFFLOADS.md: 64 and 512 measured alike for one stream).
    /// </summary>
    public int LargePoolFrames { get; set; } = 256;

    /// <summary>Passes a worker makes over its ports after the last frame before it sleeps in epoll.</summary>
    public int IdleSpins { get; set; } = 32;

    /// <summary>Clock for aging; tests inject their own.</summary>
    public TimeProvider Time { get; set; } = TimeProvider.System;

    /// <summary>Where port and table events are logged (never per frame).</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    internal int EffectiveWorkers => Workers > 0 ? Workers : Math.Max(1, Environment.ProcessorCount / 2);

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(AgingSeconds);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxMacs, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxMacs, MacTable.MaxCapacity);
        ArgumentOutOfRangeException.ThrowIfNegative(StormLimit);
        ArgumentOutOfRangeException.ThrowIfNegative(MaxMacsPerPort);
        ArgumentOutOfRangeException.ThrowIfNegative(Workers);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Workers, 64);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPorts, 2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxPorts, 4096);
        ArgumentOutOfRangeException.ThrowIfLessThan(BurstSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(BurstSize, 256);
        if (RingSize < 2 || (RingSize & (RingSize - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(RingSize), RingSize, "RingSize must be a power of two >= 2.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(PoolFrames, 64);
        ArgumentOutOfRangeException.ThrowIfNegative(LargePoolFrames);
    }
}
