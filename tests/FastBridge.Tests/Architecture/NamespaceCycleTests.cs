namespace FastBridge.Tests.Architecture;

/// <summary>The namespaces of src/FastBridge form no cycle: each layer can be read, and changed, without the ones above it.</summary>
public sealed class NamespaceCycleTests
{
    /// <summary>
    /// Known cycles being removed: for each, the one dependency that closes it and is going away (issue 8). The test
    /// ignores exactly these edges; any other cycle fails it. When that work has merged, this list is emptied and
    /// stays empty. (Namespace names are abbreviated: "FastBridge" is the root namespace, where <c>Bridge</c> lives.)
    /// </summary>
    private static readonly (string From, string To)[] s_knownCyclesBeingRemoved =
    [
        // Dataplane <-> Bridge: workers call back into Bridge (MacTable, Slots, FloodList); they get a view instead.
        ("FastBridge.Dataplane", "FastBridge"),

        // Diagnostics <-> Bridge: BridgeMetrics reads the Bridge; counters get one schema that Bridge feeds.
        ("FastBridge.Diagnostics", "FastBridge"),

        // Buffers <-> Offloads: Packet carries an OffloadInfo, and the offload code rents from PacketPool.
        ("FastBridge.Buffers", "FastBridge.Offloads"),

        // Ports <-> Offloads: OffloadFinisher takes a Port; TAP ports fill OffloadInfo.
        ("FastBridge.Offloads", "FastBridge.Ports"),

        // Ports <-> Diagnostics: PortCounters uses PortState; ports count drops by DropReason (core vocabulary).
        ("FastBridge.Diagnostics", "FastBridge.Ports"),

        // Not named in the issue, found by this test: ThrowHelper lives in the root namespace (next to Bridge, which
        // uses every layer), and Buffers, Interop and Switching throw through it; ThrowHelper itself uses Interop's
        // Errno. Moving ThrowHelper below the layers that use it removes these three.
        ("FastBridge.Buffers", "FastBridge"),
        ("FastBridge.Interop", "FastBridge"),
        ("FastBridge.Switching", "FastBridge"),
    ];

    [Fact]
    public void Namespaces_of_the_engine_depend_on_each_other_without_cycles()
    {
        var edges = NamespaceGraph.Build(SourceDirectory());
        Assert.True(edges.Count > 10, $"the graph looks empty ({edges.Count} edges): did the sources bind?");
        var cycles = ElementaryCycles(edges.Keys.Where(e => !s_knownCyclesBeingRemoved.Contains(e)));
        Assert.True(cycles.Count == 0,
            $"namespace cycles: {cycles.Count}\n" + string.Join("\n", cycles.Select(c => Describe(c) + "\n" + Evidence(c, edges))));
    }

    private static string Describe(List<string> cycle) => string.Join(" -> ", cycle.Append(cycle[0]));

    private static string Evidence(List<string> cycle, Dictionary<(string From, string To), string> edges) =>
        string.Join("\n", cycle.Select((from, i) => $"    {from} -> {cycle[(i + 1) % cycle.Count]}: {edges[(from, cycle[(i + 1) % cycle.Count])]}"));

    /// <summary>
    /// Every elementary cycle, each once, starting at its least node (by ordinal order): a depth-first search from
    /// each node that only visits nodes greater than the start. The graph has a dozen nodes, so this stays small.
    /// </summary>
    private static List<List<string>> ElementaryCycles(IEnumerable<(string From, string To)> edges)
    {
        var next = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var (from, to) in edges)
        {
            (next.TryGetValue(from, out var set) ? set : next[from] = new SortedSet<string>(StringComparer.Ordinal)).Add(to);
        }

        var cycles = new List<List<string>>();
        foreach (string start in next.Keys)
        {
            var path = new List<string> { start };
            Walk(start);

            void Walk(string at)
            {
                if (!next.TryGetValue(at, out var targets))
                {
                    return;
                }

                foreach (string to in targets)
                {
                    if (to == start)
                    {
                        cycles.Add([.. path]);
                    }
                    else if (string.CompareOrdinal(to, start) > 0 && !path.Contains(to))
                    {
                        path.Add(to);
                        Walk(to);
                        path.RemoveAt(path.Count - 1);
                    }
                }
            }
        }

        return cycles;
    }

    private static string SourceDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FastBridge.sln")))
            {
                return Path.Combine(dir.FullName, "src", "FastBridge");
            }
        }

        throw new InvalidOperationException($"no FastBridge.sln above {AppContext.BaseDirectory}");
    }
}
