using FastBridge.Buffers;
using FastBridge.Dataplane;
using FastBridge.Diagnostics;
using FastBridge.Ports;
using FastBridge.Switching;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FastBridge;

/// <summary>
/// A learning Ethernet switch: add ports, start it, and frames received on any port are delivered to the port where
/// their destination was learned, or flooded to every other port when the destination is broadcast, multicast or
/// unknown. The entry point for embedding FastBridge.
/// </summary>
/// <remarks>
/// Design: the control side (this class) hands the dataplane (<see cref="Worker"/> threads) one immutable
/// <see cref="DataplaneView"/>: the port slots, the flood list, the <see cref="Switching.MacTable"/> (itself lock-free)
/// and the workers. When ports change it builds a new view and publishes it, which returns only once no worker can
/// still use the old one (the grace-period rule lives in <see cref="DataplaneView"/>); only then does it free what the
/// old view reached, so workers read their view without locks.
/// Thread-safety: every public member may be called from any thread; control operations are serialized by a lock that
/// the dataplane never takes.
/// </remarks>
public sealed partial class Bridge : IDisposable
{
    private readonly object _control = new();
    private readonly BridgeOptions _options;
    private readonly ILogger _log;
    private readonly PortSlot?[] _slots;
    private DataplaneView _view;
    private Timer? _housekeeping;
    private bool _started;
    private bool _disposed;

    public Bridge(BridgeOptions? options = null)
    {
        _options = options ?? new BridgeOptions();
        _options.Validate();
        _log = (_options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger("FastBridge");
        Pool = new PacketPool(_options.PoolFrames, _options.LargePoolFrames);
        MacTable = new MacTable(_options.MaxMacs, _options.AgingSeconds, _options.Time) { MaxPerPort = _options.MaxMacsPerPort };
        _slots = new PortSlot?[_options.MaxPorts];
        Workers = new Worker[_options.EffectiveWorkers];
        for (int i = 0; i < Workers.Length; i++)
        {
            Workers[i] = new Worker(i, Pool, _options.BurstSize, _options.IdleSpins, _options.MaxPorts, Workers.Length);
        }

        _view = new DataplaneView(_slots, MacTable, Workers);
        _view.Publish(workersStarted: false);

        Metrics = new BridgeMetrics(this);
    }

    /// <summary>The <c>FastBridge</c> meter of this bridge (observable instruments over <see cref="ReadCounters"/>).</summary>
    public BridgeMetrics Metrics { get; }

    public string Name => _options.Name;

    /// <summary>The MAC table (forwarding database): read it, add static entries, flush it.</summary>
    public MacTable MacTable { get; }

    /// <summary>The frame buffers every port of this bridge receives into.</summary>
    public PacketPool Pool { get; }

    public int WorkerCount => Workers.Length;

    /// <summary>Where the bridge logs; ports created for it by the control plane log there too.</summary>
    internal Microsoft.Extensions.Logging.ILoggerFactory LoggerFactory => _options.LoggerFactory ?? NullLoggerFactory.Instance;

    public bool IsRunning => _started && !_disposed;

    internal Worker[] Workers { get; }

    internal PortSlot?[] Slots => _slots;

    internal PortSlot? SlotOf(Port port) => (uint)port.Id < (uint)_slots.Length ? _slots[port.Id] : null;

    internal int[] FloodList => Volatile.Read(ref _view).FloodList;

    /// <summary>Ports currently in the bridge, in the order of their ids.</summary>
    public IReadOnlyList<Port> Ports
    {
        get
        {
            var ports = new List<Port>();
            foreach (PortSlot? slot in _slots)
            {
                if (slot is not null)
                {
                    ports.Add(slot.Port);
                }
            }

            return ports;
        }
    }

    public Port? FindPort(string name) => FindSlot(name)?.Port;

    /// <summary>Starts the worker threads and the housekeeping timer (aging, port events).</summary>
    public void Start()
    {
        lock (_control)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_started)
            {
                return;
            }

            _started = true;
            foreach (Worker worker in Workers)
            {
                worker.Start();
            }

            _housekeeping = new Timer(_ => Housekeep(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
            _log.LogInformation("bridge {Name} started: {Workers} {WorkerNoun}, {Ports} {PortNoun}, aging {Aging} s, max {MaxMacs} MACs",
                Name, Workers.Length, Workers.Length == 1 ? "worker" : "workers", Ports.Count, Ports.Count == 1 ? "port" : "ports",
                MacTable.AgingSeconds, MacTable.Capacity);
        }
    }

    /// <summary>Stops switching, releases every queued frame and disposes every port (closing devices it created).</summary>
    public void Dispose()
    {
        lock (_control)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _housekeeping?.Dispose();
            Metrics.Dispose();
            foreach (Worker worker in Workers)
            {
                worker.RequestStop();
            }

            if (_started)
            {
                foreach (Worker worker in Workers)
                {
                    worker.Join();
                }
            }

            for (int id = 0; id < _slots.Length; id++)
            {
                if (_slots[id] is { } slot)
                {
                    DrainInbound(slot);
                    slot.Port.Detach();
                    slot.Port.Dispose();
                    _slots[id] = null;
                    _log.LogInformation("port {Port} released", slot.Port.Name);
                }
            }

            foreach (Worker worker in Workers)
            {
                worker.Dispose();
            }

            Pool.Dispose();
            if (_started)
            {
                _log.LogInformation("bridge {Name} stopped", Name);
            }
        }
    }
}
