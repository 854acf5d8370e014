using FastBridge.Dataplane;

namespace FastBridge;

/// <summary>Live capture: the captures running on this bridge (docs/capture.md).</summary>
public sealed partial class Bridge
{
    private CaptureHub? _captures;

    /// <summary>Where captures attach to the workers; made on first use.</summary>
    internal CaptureHub Captures => LazyInitializer.EnsureInitialized(ref _captures, () => new CaptureHub(Workers));

    /// <summary>Highest port id + 1.</summary>
    internal int MaxPorts => _options.MaxPorts;

    /// <summary>The name of the port with this id now, or null when the id is free.</summary>
    internal string? PortNameOf(int id) => (uint)id < (uint)_slots.Length ? Volatile.Read(ref _slots[id])?.Port.Name : null;
}
