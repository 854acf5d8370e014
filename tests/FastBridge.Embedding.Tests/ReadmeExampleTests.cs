namespace FastBridge.Embedding.Tests;

/// <summary>
/// README's embedding example is ReadmeExample.cs, word for word, and that file is compiled in this project (against
/// the packed package in CI): so the example a user copies compiles.
/// </summary>
public sealed class ReadmeExampleTests
{
    [Fact]
    public void The_readme_shows_the_example_that_this_project_compiles()
    {
        string readme = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "README.md")).ReplaceLineEndings("\n");
        string example = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "ReadmeExample.cs")).ReplaceLineEndings("\n");
        Assert.Contains("```csharp\n" + example + "```\n", readme);
    }

    [Fact]
    public void The_readme_says_how_to_reference_the_package()
    {
        string readme = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "README.md"));
        Assert.Contains("dotnet pack src/FastBridge -c Release -o ", readme);
        Assert.Contains("dotnet add package FastBridge --source ", readme);
    }

#if FASTBRIDGE_PACKAGE
    [Fact]
    public void The_library_comes_from_the_package_not_the_project()
    {
        using var references = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "FastBridge.Embedding.Tests.deps.json")));
        Assert.Contains(references.RootElement.GetProperty("libraries").EnumerateObject(),
            library => library.Name.StartsWith("FastBridge/", StringComparison.Ordinal) && library.Value.GetProperty("type").GetString() == "package");
    }
#endif
}
