namespace FastBridge.Benchmarks;

/// <summary>Benchmark categories, one per stage of a frame's life (select with <c>--anyCategories NAME</c>).</summary>
public static class Categories
{
    public const string Parser = "Parser";
    public const string MacTable = "MacTable";
    public const string Rings = "Rings";
    public const string Switching = "Switching";
    public const string VhostUser = "VhostUser";
    public const string Capture = "Capture";
}
