namespace FastBridge.Tests.Cli;

/// <summary>The checkout the tests were built from (the directory holding FastBridge.sln).</summary>
internal static class Repository
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FastBridge.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no FastBridge.sln above {AppContext.BaseDirectory}");
    }
}
