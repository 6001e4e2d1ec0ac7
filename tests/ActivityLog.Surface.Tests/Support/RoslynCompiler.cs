using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace ActivityLog.Surface.Tests.Support;

/// <summary>
/// Compiles C# text with Roslyn against what this test process runs on: the shared frameworks (.NET and ASP.NET Core),
/// EF Core with SQLite and Npgsql, and every ActivityLog package, as an app that references them would.
/// </summary>
internal static class RoslynCompiler
{
    /// <summary>Every ActivityLog package assembly, as shipped.</summary>
    public static readonly Assembly[] OurAssemblies =
    [
        typeof(ActivityLogEvent).Assembly,                                                   // ActivityLog
        typeof(ActivityLog.Testing.SnapshotAssert).Assembly,                                 // ActivityLog.Testing
        typeof(ActivityLog.EntityFrameworkCore.StoredActivityLogEvent).Assembly,             // ActivityLog.EntityFrameworkCore
        typeof(Microsoft.Extensions.DependencyInjection.PostgreSqlActivityLogBuilderExtensions).Assembly,
        typeof(ActivityLog.Webhooks.WebhookSignatureVerifier).Assembly,                      // ActivityLog.Webhooks
        typeof(ActivityLog.AspNetCore.ActivityLogHttpOptions).Assembly,                      // ActivityLog.AspNetCore
    ];

    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(LoadReferences);

    /// <summary>The paths of every assembly the process may load (the trusted platform assemblies).</summary>
    public static IReadOnlyList<string> AssemblyPaths { get; } =
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Compiles the trees as one assembly and returns its error diagnostics.</summary>
    public static IReadOnlyList<Diagnostic> Errors(IEnumerable<SyntaxTree> trees, OutputKind kind = OutputKind.DynamicallyLinkedLibrary)
    {
        var compilation = CSharpCompilation.Create(
            "Probe" + Guid.NewGuid().ToString("N"),
            trees,
            References.Value,
            new CSharpCompilationOptions(kind, nullableContextOptions: NullableContextOptions.Enable));
        return [.. compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error)];
    }

    /// <summary>Parses C# text with the latest language version.</summary>
    public static SyntaxTree Parse(string text, string path = "") =>
        CSharpSyntaxTree.ParseText(text, new CSharpParseOptions(LanguageVersion.Latest), path);

    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        var byName = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string path in AssemblyPaths)
        {
            byName.TryAdd(Path.GetFileNameWithoutExtension(path), path);
        }

        return [.. byName.Values.Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))];
    }
}
