using FastBridge.Switching;

namespace FastBridge.Tests.Switching;

/// <summary>Checks the per-port counts of a quiet table against its entries.</summary>
internal static class AssertCounts
{
    /// <summary>Per-port counts add up to <see cref="MacTable.Count"/>, which matches the slots, and each port's
    /// count matches a snapshot of its entries (when nothing is expired or duplicated).</summary>
    public static void Exact(MacTable table, bool compareWithSnapshot = true)
    {
        Assert.Equal(table.Count, MacTableInternals.LiveSlots(table));
        Assert.Equal(table.Count, MacTableInternals.SumOfPortCounts(table));
        if (!compareWithSnapshot)
        {
            return;
        }

        var entries = new List<MacEntry>();
        table.CopyTo(entries);
        Assert.Equal(table.Count, entries.Count);
        var perPort = new Dictionary<int, (int All, int Dynamic)>();
        foreach (MacEntry e in entries)
        {
            perPort.TryGetValue(e.Port, out (int All, int Dynamic) c);
            perPort[e.Port] = (c.All + 1, c.Dynamic + (e.IsStatic ? 0 : 1));
        }

        foreach ((int port, (int all, int dynamic)) in perPort)
        {
            Assert.Equal(all, table.CountOnPort(port));
            Assert.Equal(dynamic, table.DynamicCountOnPort(port));
        }
    }
}
