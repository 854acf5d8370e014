namespace FastBridge.Tests.Infrastructure;

/// <summary>
/// How many bytes a bridge's worker threads allocated while some traffic ran. A worker samples its thread's allocation
/// count at the top of a pass, so after the traffic every worker is woken and a full pass of each is waited for.
/// </summary>
internal static class WorkerAllocations
{
    public static long During(Bridge bridge, Action traffic)
    {
        long before = Sum(bridge);
        traffic();
        long[] passes = bridge.Workers.Select(w => w.Passes).ToArray();
        foreach (var worker in bridge.Workers)
        {
            worker.Wake();
        }

        Assert.True(EndToEnd.WaitFor(() => bridge.Workers.Select((w, i) => w.Passes > passes[i] + 1).All(b => b), BridgeHarness.Timeout),
            "the workers made no full pass after the traffic");
        return Sum(bridge) - before;
    }

    private static long Sum(Bridge bridge) => bridge.Workers.Sum(w => w.AllocatedBytes);
}
