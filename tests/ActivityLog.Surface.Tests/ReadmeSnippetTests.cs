using ActivityLog.Surface.Tests.Support;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ActivityLog.Surface.Tests;

/// <summary>
/// Every C# block of every Markdown file compiles on its own, as one file of a <c>Microsoft.NET.Sdk.Web</c> app: the
/// Web SDK's implicit usings, one shared <c>AppDbContext</c> (<see cref="SharedContext"/>) and nothing else. Any other
/// <c>using</c> and every other type or variable a block needs is written in the block, so a snippet can never again
/// lack a <c>using</c>. CONTRIBUTING.md states the rule.
/// </summary>
public sealed class ReadmeSnippetTests
{
    /// <summary>The implicit usings of an app on <c>Microsoft.NET.Sdk.Web</c> (.NET 10).</summary>
    public const string WebSdkImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Net.Http.Json;
        global using System.Threading;
        global using System.Threading.Tasks;
        global using Microsoft.AspNetCore.Builder;
        global using Microsoft.AspNetCore.Hosting;
        global using Microsoft.AspNetCore.Http;
        global using Microsoft.AspNetCore.Routing;
        global using Microsoft.Extensions.Configuration;
        global using Microsoft.Extensions.DependencyInjection;
        global using Microsoft.Extensions.Hosting;
        global using Microsoft.Extensions.Logging;
        """;

    /// <summary>The app's own context that snippets may name; a block that declares its own replaces it.</summary>
    public const string SharedContext = """
        using ActivityLog;
        using Microsoft.EntityFrameworkCore;

        public class AppDbContext(DbContextOptions<AppDbContext> options) : DbContext(options)
        {
            protected override void OnModelCreating(ModelBuilder modelBuilder) => modelBuilder.AddActivityLog();
        }
        """;

    /// <summary>The blocks, by file and line.</summary>
    public static TheoryData<string> Blocks()
    {
        var data = new TheoryData<string>();
        foreach (var snippet in ReadmeSnippet.All)
        {
            data.Add(snippet.ToString());
        }

        return data;
    }

    [Fact]
    public void The_readmes_have_csharp_blocks_to_compile()
    {
        ReadmeSnippet.All.Select(s => s.File).Should().Contain(["README.md", "src/ActivityLog.EntityFrameworkCore/README.md", "src/ActivityLog.Webhooks/README.md"]);
    }

    [Theory]
    [MemberData(nameof(Blocks))]
    public void The_block_compiles_on_its_own(string block)
    {
        var snippet = ReadmeSnippet.All.Single(s => s.ToString() == block);
        var tree = RoslynCompiler.Parse(snippet.Code, snippet.File);
        var root = (CompilationUnitSyntax)tree.GetRoot();
        bool topLevel = root.Members.OfType<GlobalStatementSyntax>().Any();
        bool ownContext = root.DescendantNodes().OfType<BaseTypeDeclarationSyntax>().Any(t => t.Identifier.Text == "AppDbContext");
        List<SyntaxTree> trees = [tree, RoslynCompiler.Parse(WebSdkImplicitUsings, "ImplicitUsings.cs")];
        if (!ownContext)
        {
            trees.Add(RoslynCompiler.Parse(SharedContext, "AppDbContext.cs"));
        }

        var errors = RoslynCompiler.Errors(trees, topLevel ? OutputKind.ConsoleApplication : OutputKind.DynamicallyLinkedLibrary);

        errors.Should().BeEmpty(because: $"{snippet} must compile on its own:{Environment.NewLine}" +
            string.Join(Environment.NewLine, errors.Select(e => e.ToString())));
    }
}
