using BenchmarkDotNet.Running;

namespace FastBridge.Benchmarks;

/// <summary>
/// Entry point: <c>dotnet run -c Release --project perf/FastBridge.Benchmarks -- --filter '*'</c> runs every
/// benchmark; <c>--job short</c> trades precision for time; <c>--anyCategories Parser</c> picks one family.
/// </summary>
public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
