using FastBridge.Dataplane;
using FastBridge.Diagnostics;
using FastBridge.Ports;
using FastBridge.Switching;
using Microsoft.Extensions.Logging;

namespace FastBridge;

public sealed partial class Bridge
{
    /// <summary>Flapping stations are logged at most once per this many seconds each.</summary>
    private const int FlapLogIntervalSeconds = 10;

    private readonly List<FlapEvent> _flaps = [];
    private long _loggedTableFull;
    private long _loggedLearned;
    private long _loggedPortLimit;
    private int _ticks;

    /// <summary>
    /// Once a second, off the dataplane: advance the MAC table's clock and sweep expired entries, log port state
    /// changes the workers recorded, retire gone ports from flooding, and log table events as totals, never per frame.
    /// </summary>
    internal void Housekeep()
    {
        lock (_control)
        {
            if (_disposed)
            {
                return;
            }

            MacTable.Tick();
            int aged = MacTable.Sweep();
            if (aged > 0)
            {
                _log.LogDebug("{Count} MAC entries aged out ({Left} left)", aged, MacTable.Count);
            }

            foreach (PortSlot? slot in _slots)
            {
                if (slot is not null)
                {
                    CheckPortState(slot);
                    LogStormDrops(slot);
                }
            }

            LogTableEvents();
            if (++_ticks % FlapLogIntervalSeconds == 0)
            {
                LogFlaps();
            }
        }
    }

    private void CheckPortState(PortSlot slot)
    {
        Port port = slot.Port;
        int version = port.StateVersion;
        if (version == slot.LoggedStateVersion)
        {
            return;
        }

        int changes = version - slot.LoggedStateVersion;
        slot.LoggedStateVersion = version;
        PortState state = port.State;
        if (port.ForgetsStationsWhenDown && state != PortState.Gone && slot.Forwarding && (state != PortState.Up || changes >= 2))
        {
            // Down now, or down and up again since the last tick (the peer may have been replaced by another machine).
            // Only coming up is no reason: what the new peer already announced must stay learned.
            int forgotten = MacTable.RemovePort(slot.Id);
            _log.LogInformation("port {Port} changed state: {Macs} MAC entries forgotten", port.Name, forgotten);
        }

        if (state == PortState.Up)
        {
            if (slot.LoggedDown)
            {
                slot.LoggedDown = false;
                _log.LogInformation("port {Port} is up again ({Reason})", port.Name, port.StateReason);
            }

            return;
        }

        slot.LoggedDown = true;
        _log.LogWarning("port {Port} is {State}: {Reason}", port.Name, state.Name(), port.StateReason);
        if (state == PortState.Gone && slot.Forwarding)
        {
            slot.Forwarding = false;
            PublishView();
            int forgotten = MacTable.RemovePort(slot.Id);
            _log.LogInformation("port {Port} no longer switched ({Macs} MAC entries forgotten); remove it or add it again", port.Name, forgotten);
        }
    }

    /// <summary>Logs, at most once a second per port, that storm control is dropping that port's floods.</summary>
    private void LogStormDrops(PortSlot slot)
    {
        long drops = 0;
        foreach (CounterBlock block in slot.Counters)
        {
            drops += Volatile.Read(ref block.Dropped(DropReason.StormLimit));
        }

        if (drops > slot.LoggedStormDrops)
        {
            _log.LogWarning("storm control on port {Port}: {Dropped} floods over {Limit} frames/s dropped in the last second",
                slot.Port.Name, drops - slot.LoggedStormDrops, _options.StormLimit);
        }

        slot.LoggedStormDrops = drops;
    }

    /// <summary>Logs each station that flapped since the last call once, with its MAC, VLAN and ports (OVS users ask for this).</summary>
    private void LogFlaps()
    {
        _flaps.Clear();
        MacTable.DrainFlaps(_flaps);
        foreach (FlapEvent flap in _flaps)
        {
            _log.LogWarning("MAC {Mac} on VLAN {Vlan} is flapping between ports {From} and {To} ({Moves} moves); a loop or a duplicate MAC?",
                flap.Mac, flap.Vlan, PortName(flap.FromPort), PortName(flap.ToPort), flap.Moves);
        }
    }

    private string PortName(int id) => (uint)id < (uint)_slots.Length && _slots[id] is { } slot ? slot.Port.Name : $"#{id}";

    private void LogTableEvents()
    {
        long learned = 0;
        long full = 0;
        long portLimit = 0;
        foreach (PortSlot? slot in _slots)
        {
            if (slot is null)
            {
                continue;
            }

            foreach (CounterBlock block in slot.Counters)
            {
                learned += Volatile.Read(ref block[Counter.Learned]);
                full += Volatile.Read(ref block[Counter.TableFull]);
                portLimit += Volatile.Read(ref block[Counter.PortLimit]);
            }
        }

        if (portLimit > _loggedPortLimit)
        {
            _log.LogWarning("MAC learning limit ({Limit} per port): {Refused} new stations not learned in the last second",
                MacTable.MaxPerPort, portLimit - _loggedPortLimit);
        }

        _loggedPortLimit = portLimit;

        if (learned > _loggedLearned)
        {
            _log.LogDebug("{Count} new MAC entries learned ({Total} in table)", learned - _loggedLearned, MacTable.Count);
        }

        if (full > _loggedTableFull)
        {
            _log.LogWarning("MAC table full ({Count}/{Capacity}): {Refused} new stations not learned in the last second; their frames flood",
                MacTable.Count, MacTable.Capacity, full - _loggedTableFull);
        }

        _loggedLearned = learned;
        _loggedTableFull = full;
    }
}
