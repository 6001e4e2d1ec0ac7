using System.Text.RegularExpressions;

namespace ActivityLog.Surface.Tests.Support;

/// <summary>One <c>```csharp</c> block of a Markdown file in the repository.</summary>
/// <param name="File">The file, relative to the repository root.</param>
/// <param name="Line">The 1-based line of the block's opening fence.</param>
/// <param name="Code">The block's text.</param>
internal sealed record ReadmeSnippet(string File, int Line, string Code)
{
    /// <summary>The repository root: the nearest folder up from the test binaries that holds ActivityLog.sln.</summary>
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>Every C# block of every Markdown file of the repository (README files, docs, samples).</summary>
    public static IReadOnlyList<ReadmeSnippet> All { get; } = Load();

    /// <inheritdoc/>
    public override string ToString() => $"{File}:{Line}";

    private static List<ReadmeSnippet> Load()
    {
        var snippets = new List<ReadmeSnippet>();
        foreach (string path in Directory.EnumerateFiles(RepositoryRoot, "*.md", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            string relative = Path.GetRelativePath(RepositoryRoot, path).Replace('\\', '/');
            if (Regex.IsMatch(relative, @"(^|/)(bin|obj|TestResults|node_modules|\.git)/"))
            {
                continue;
            }

            string[] lines = System.IO.File.ReadAllLines(path);
            for (int i = 0; i < lines.Length; i++)
            {
                if (lines[i].Trim() is "```csharp" or "```cs" or "```c#")
                {
                    int start = i;
                    int end = Array.FindIndex(lines, i + 1, l => l.Trim() == "```");
                    if (end < 0)
                    {
                        throw new InvalidOperationException($"{relative}:{start + 1}: a C# block is never closed.");
                    }

                    snippets.Add(new ReadmeSnippet(relative, start + 1, string.Join('\n', lines[(start + 1)..end])));
                    i = end;
                }
            }
        }

        return snippets;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (System.IO.File.Exists(Path.Combine(dir.FullName, "ActivityLog.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("ActivityLog.sln not found above " + AppContext.BaseDirectory);
    }
}
