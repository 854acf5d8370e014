namespace FastBridge.Tests.Architecture;

/// <summary>The namespaces of src/FastBridge form no cycle: each layer can be read, and changed, without the ones above it.</summary>
public sealed class NamespaceCycleTests
{
    [Fact]
    public void Namespaces_of_the_engine_depend_on_each_other_without_cycles()
    {
        var edges = NamespaceGraph.Build(SourceDirectory());
        Assert.True(edges.Count > 10, $"the graph looks empty ({edges.Count} edges): did the sources bind?");
        var cycles = ElementaryCycles(edges.Keys);
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
