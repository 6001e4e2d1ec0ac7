using System.Reflection;
using System.Text;
using ActivityLog.Surface.Tests.Support;
using Microsoft.CodeAnalysis;

namespace ActivityLog.Surface.Tests;

/// <summary>
/// No public type of ours shares a simple name with a public type of the namespaces an ASP.NET Core + EF Core app
/// imports routinely: one file that imports all of them and every namespace of ours, and names every public type of
/// ours simply, compiles.
/// </summary>
public sealed class NameClashTests
{
    private static readonly string[] ExactNamespaces =
    [
        "System", "System.Diagnostics", "System.Linq", "System.Net.Http", "System.Text.Json", "System.Threading",
        "Microsoft.EntityFrameworkCore",
    ];

    private static readonly string[] NamespacePrefixes = ["Microsoft.AspNetCore.", "Microsoft.Extensions."];

    [Fact]
    public void Every_public_type_of_ours_is_named_simply_next_to_the_routine_imports()
    {
        var ours = OurPublicTypes();
        ours.Should().Contain(t => t.Name == nameof(ActivityLogEvent)).And.Contain(t => t.Name == nameof(ActivityRequestContext));
        var imports = RoutineNamespaces();
        imports.Should().Contain(["System.Diagnostics", "Microsoft.AspNetCore.Builder", "Microsoft.EntityFrameworkCore", "Microsoft.Extensions.DependencyInjection"]);
        imports.Count.Should().BeGreaterThan(100, "every Microsoft.AspNetCore.* and Microsoft.Extensions.* namespace is imported");

        var errors = RoslynCompiler.Errors([RoslynCompiler.Parse(Probe(imports, ours, extra: null))]);

        errors.Should().BeEmpty(because: string.Join(Environment.NewLine, errors.Select(e => e.ToString())));
    }

    [Fact]
    public void The_probe_catches_a_clash()
    {
        // The same probe with one planted type of ours named like System.Diagnostics.ActivityEvent must fail with CS0104.
        const string planted = "namespace ActivityLog.Planted { public sealed class ActivityEvent { } }";
        var source = Probe([.. RoutineNamespaces(), "ActivityLog.Planted"], OurPublicTypes(), extra: "ActivityEvent");

        var errors = RoslynCompiler.Errors([RoslynCompiler.Parse(source), RoslynCompiler.Parse(planted)]);

        errors.Select(e => e.Id).Should().Contain("CS0104");
    }

    private static List<Type> OurPublicTypes() =>
        [.. RoslynCompiler.OurAssemblies.SelectMany(a => a.GetExportedTypes()).Where(t => !t.IsNested)];

    /// <summary>Ours and the routine ones, from every assembly the app can reference.</summary>
    private static List<string> RoutineNamespaces()
    {
        var namespaces = new SortedSet<string>(StringComparer.Ordinal);
        foreach (string path in RoslynCompiler.AssemblyPaths)
        {
            foreach (string? ns in ExportedNamespaces(path))
            {
                if (ns is not null && (ExactNamespaces.Contains(ns) || NamespacePrefixes.Any(p => ns.StartsWith(p, StringComparison.Ordinal))))
                {
                    namespaces.Add(ns);
                }
            }
        }

        foreach (var type in OurPublicTypes())
        {
            namespaces.Add(type.Namespace!);
        }

        return [.. namespaces];
    }

    private static IEnumerable<string?> ExportedNamespaces(string path)
    {
        // Read metadata only: loading every framework assembly into the test process is not needed.
        using var stream = File.OpenRead(path);
        using var pe = new System.Reflection.PortableExecutable.PEReader(stream);
        if (!pe.HasMetadata)
        {
            return [];
        }

        var reader = System.Reflection.Metadata.PEReaderExtensions.GetMetadataReader(pe);
        var result = new HashSet<string?>();
        foreach (var handle in reader.TypeDefinitions)
        {
            var definition = reader.GetTypeDefinition(handle);
            if ((definition.Attributes & TypeAttributes.VisibilityMask) == TypeAttributes.Public)
            {
                result.Add(reader.GetString(definition.Namespace));
            }
        }

        return result;
    }

    private static string Probe(IEnumerable<string> namespaces, IEnumerable<Type> types, string? extra)
    {
        var source = new StringBuilder();
        foreach (string ns in namespaces)
        {
            source.Append("using ").Append(ns).AppendLine(";");
        }

        source.AppendLine("internal static class Probe").AppendLine("{").AppendLine("    public static readonly System.Type[] Types =").AppendLine("    [");
        foreach (var type in types)
        {
            string name = type.Name.Split('`')[0];
            string arity = type.IsGenericTypeDefinition ? "<" + new string(',', type.GetGenericArguments().Length - 1) + ">" : "";
            source.Append("        typeof(").Append(name).Append(arity).AppendLine("),");
        }

        if (extra is not null)
        {
            source.Append("        typeof(").Append(extra).AppendLine("),");
        }

        source.AppendLine("    ];").AppendLine("}");
        return source.ToString();
    }
}
