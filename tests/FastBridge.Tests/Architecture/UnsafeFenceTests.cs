using System.Text.RegularExpressions;

namespace FastBridge.Tests.Architecture;

/// <summary>
/// Unsafe code is fenced: the <c>unsafe</c> keyword appears in src/ only under the folders that need raw memory
/// (interop, frame buffers, port I/O), and only the projects that hold such code allow it.
/// </summary>
public sealed partial class UnsafeFenceTests
{
    private static readonly string[] s_allowedFolders =
    [
        "src/FastBridge/Interop/",
        "src/FastBridge/Buffers/",
        "src/FastBridge/Ports/",
    ];

    /// <summary>The shipped projects that may hold unsafe code (test projects may, for their libc helpers).</summary>
    private static readonly string[] s_projectsAllowingUnsafe = ["src/FastBridge/FastBridge.csproj"];

    [Fact]
    public void The_unsafe_keyword_appears_only_in_the_allowed_folders()
    {
        string root = RepositoryRoot();
        var offenders = new List<string>();
        foreach (string file in Directory.EnumerateFiles(Path.Combine(root, "src"), "*.cs", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(root, file).Replace('\\', '/');
            if (relative.Contains("/obj/", StringComparison.Ordinal) || relative.Contains("/bin/", StringComparison.Ordinal)
                || s_allowedFolders.Any(folder => relative.StartsWith(folder, StringComparison.Ordinal)))
            {
                continue;
            }

            string code = CommentsAndStrings().Replace(File.ReadAllText(file), " ");
            if (UnsafeKeyword().IsMatch(code))
            {
                offenders.Add(relative);
            }
        }

        Assert.Empty(offenders);
    }

    [Fact]
    public void The_scan_sees_an_unsafe_keyword_and_ignores_one_in_a_comment_or_a_string()
    {
        Assert.Matches(UnsafeKeyword(), CommentsAndStrings().Replace("internal static unsafe class X { }", " "));
        Assert.DoesNotMatch(UnsafeKeyword(), CommentsAndStrings().Replace("// unsafe here\n/// <c>Unsafe.As</c>\nvar s = \"unsafe\";", " "));
    }

    [Fact]
    public void Of_the_shipped_projects_only_the_engine_allows_unsafe_code()
    {
        string root = RepositoryRoot();
        Assert.DoesNotContain("AllowUnsafeBlocks", File.ReadAllText(Path.Combine(root, "Directory.Build.props")), StringComparison.Ordinal);
        var allowing = new[] { "src", "perf" }
            .SelectMany(folder => Directory.EnumerateFiles(Path.Combine(root, folder), "*.csproj", SearchOption.AllDirectories))
            .Where(p => File.ReadAllText(p).Contains("<AllowUnsafeBlocks>true</AllowUnsafeBlocks>", StringComparison.Ordinal))
            .Select(p => Path.GetRelativePath(root, p).Replace('\\', '/'))
            .Where(p => !p.Contains("/bin/", StringComparison.Ordinal) && !p.Contains("/obj/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToArray();
        Assert.Equal(s_projectsAllowingUnsafe, allowing);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FastBridge.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("FastBridge.sln not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"//[^\n]*|/\*.*?\*/|@""(?:""""|[^""])*""|""(?:\\.|[^""\\\n])*""", RegexOptions.Singleline)]
    private static partial Regex CommentsAndStrings();

    [GeneratedRegex(@"\bunsafe\b")]
    private static partial Regex UnsafeKeyword();
}
