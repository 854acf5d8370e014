using FastBridge.Frames;
using FastBridge.Switching;
using static FastBridge.Switching.MacWords;

namespace FastBridge.Tests.Switching;

/// <summary>
/// What tests read or plant in a <see cref="MacTable"/> through its internal store, beyond the public API. The
/// table has no test hooks: these go through <see cref="MacTable.Store"/>, the same primitives the table uses.
/// </summary>
internal static class MacTableInternals
{
    /// <summary>Slots holding a live key: must match <see cref="MacTable.Count"/> when the table is quiet.</summary>
    public static int LiveSlots(MacTable table)
    {
        MacStore.Slot[] slots = table.Store.Slots;
        int live = 0;
        for (int i = 0; i < slots.Length; i++)
        {
            if (IsLiveKey(Volatile.Read(ref slots[i].Key)))
            {
                live++;
            }
        }

        return live;
    }

    /// <summary>Sum of the per-port counts over every port, through the public <see cref="MacTable.CountOnPort"/>.</summary>
    public static long SumOfPortCounts(MacTable table)
    {
        long sum = 0;
        for (int port = 0; port <= MacTable.MaxPort; port++)
        {
            sum += table.CountOnPort(port);
        }

        return sum;
    }

    /// <summary>
    /// Plants a second copy of a station at the end of its probe chain, as the duplicate race in the remarks on
    /// <see cref="MacTable"/> would, so tests can check that lookups use the first copy and repairs remove the
    /// later one. Stamped 0 (the table's clock before any tick). Single-threaded tests only.
    /// </summary>
    public static void PlantDuplicate(MacTable table, MacAddress mac, ushort vlan, int port, bool isStatic)
    {
        MacStore store = table.Store;
        if (!store.TryReserve())
        {
            throw new InvalidOperationException("The table is full.");
        }

        ulong key = MakeKey(mac.Value, vlan);
        int i = store.Home(key);
        while (Volatile.Read(ref store.Slots[i].Key) != EmptyKey)
        {
            i = (i + 1) & store.Mask;
        }

        ulong value = MakeValue(port, stamp: 0, isStatic);
        store.Slots[i].Key = key;
        Volatile.Write(ref store.Slots[i].Value, value);
        store.CountValue(value, 1);
    }
}
