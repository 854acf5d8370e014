using FastBridge.Switching;

namespace FastBridge.Control;

/// <summary>The live settings verbs: <c>config-aging</c>, <c>config-max-macs</c>, and the table summary their responses carry.</summary>
internal static partial class ControlVerbs
{
    private static ControlResponse ConfigAging(Bridge bridge, ControlRequest request)
    {
        if (request.Value is not { } seconds || seconds < 0 || seconds > int.MaxValue)
        {
            return ControlResponse.Failure($"config-aging needs \"value\": seconds, 0 (never) to {int.MaxValue}");
        }

        bridge.MacTable.AgingSeconds = (int)seconds;
        return new ControlResponse { Ok = true, Table = Table(bridge.MacTable) };
    }

    private static ControlResponse ConfigMaxMacs(Bridge bridge, ControlRequest request)
    {
        if (request.Value is not { } capacity || capacity < 1 || capacity > MacTable.MaxCapacity)
        {
            return ControlResponse.Failure($"config-max-macs needs \"value\": 1 to {MacTable.MaxCapacity}");
        }

        bridge.MacTable.Resize((int)capacity);
        return new ControlResponse { Ok = true, Table = Table(bridge.MacTable) };
    }

    private static TableInfo Table(MacTable table) => new()
    {
        Size = table.Count,
        Capacity = table.Capacity,
        AgingSeconds = table.AgingSeconds,
    };
}
