using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace FastBridge.Tests.Architecture;

/// <summary>
/// Which namespaces of src/FastBridge use which, as the compiler sees the sources: an edge A -&gt; B for every type,
/// member or inferred <c>var</c> type of namespace B that code in namespace A binds to, with one example site.
/// </summary>
/// <remarks>
/// Why the compiler and not a text scan or the built assembly: a text scan cannot tell a property named
/// <c>Bridge</c> from the type <c>Bridge</c>, and misses root-namespace types that a file in
/// <c>FastBridge.Dataplane</c> uses without a <c>using</c>; the assembly's metadata misses what C# inlines (constants,
/// enum members such as <c>DropReason.Runt</c>) and <c>nameof</c>. Binding the sources with Roslyn sees every
/// reference the code makes, including member accesses through <c>var</c> and implicit ones, and none in comments
/// (doc-comment <c>cref</c>s are trivia and are not walked). Source generators do not run, so generated
/// <c>[LibraryImport]</c> bodies are missing; that only leaves declaration errors, which binding does not need.
/// </remarks>
internal static class NamespaceGraph
{
    private static readonly string[] s_implicitUsings =
        ["System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Threading", "System.Threading.Tasks"];

    /// <summary>Edges between source namespaces, each with a "file:line uses Symbol" example.</summary>
    public static Dictionary<(string From, string To), string> Build(string sourceDirectory)
    {
        var parse = new CSharpParseOptions(LanguageVersion.Preview);
        var trees = new List<SyntaxTree>
        {
            CSharpSyntaxTree.ParseText(string.Concat(s_implicitUsings.Select(u => $"global using global::{u};\n")), parse),
        };
        foreach (string file in Directory.EnumerateFiles(sourceDirectory, "*.cs", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(sourceDirectory, file);
            if (!relative.StartsWith("obj" + Path.DirectorySeparatorChar, StringComparison.Ordinal)
                && !relative.StartsWith("bin" + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                trees.Add(CSharpSyntaxTree.ParseText(File.ReadAllText(file), parse, path: relative));
            }
        }

        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Where(path => !Path.GetFileName(path).StartsWith("FastBridge", StringComparison.Ordinal)) // the sources are the assembly
            .Select(path => MetadataReference.CreateFromFile(path));
        var compilation = CSharpCompilation.Create(
            "FastBridge.NamespaceGraph",
            trees,
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true));

        var edges = new Dictionary<(string, string), string>();
        foreach (SyntaxTree tree in trees)
        {
            SemanticModel model = compilation.GetSemanticModel(tree);
            foreach (BaseNamespaceDeclarationSyntax declaration in tree.GetRoot().DescendantNodes().OfType<BaseNamespaceDeclarationSyntax>())
            {
                string from = declaration.Name.ToString();
                foreach (SimpleNameSyntax name in declaration.DescendantNodes().OfType<SimpleNameSyntax>())
                {
                    SymbolInfo info = model.GetSymbolInfo(name);
                    if (SourceNamespaceOf(info.Symbol ?? info.CandidateSymbols.FirstOrDefault()) is { } to && to != from)
                    {
                        int line = name.GetLocation().GetLineSpan().StartLinePosition.Line + 1;
                        edges.TryAdd((from, to), $"{tree.FilePath}:{line} uses {name.Identifier.Text}");
                    }
                }
            }
        }

        return edges;
    }

    /// <summary>The namespace of the source-declared type that <paramref name="symbol"/> is or belongs to, else null.</summary>
    private static string? SourceNamespaceOf(ISymbol? symbol)
    {
        INamedTypeSymbol? type = symbol switch
        {
            INamedTypeSymbol named => named,
            IMethodSymbol { ReducedFrom: { } extension } => extension.ContainingType,
            IMethodSymbol or IPropertySymbol or IFieldSymbol or IEventSymbol => symbol.ContainingType,
            _ => null,
        };
        while (type?.ContainingType is { } outer)
        {
            type = outer;
        }

        return type is not null && type.Locations.Any(l => l.IsInSource) ? type.ContainingNamespace.ToDisplayString() : null;
    }
}
