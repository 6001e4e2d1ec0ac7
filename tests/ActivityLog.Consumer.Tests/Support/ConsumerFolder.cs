using System.IO.Compression;
using System.Reflection;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace ActivityLog.Consumer.Tests.Support;

/// <summary>
/// A temporary folder outside the repository holding the packed feed, the consumer app and its own NuGet packages
/// folder; deleted on dispose.
/// </summary>
internal sealed partial class ConsumerFolder : IDisposable
{
    public ConsumerFolder()
    {
        Root = Path.Combine(Path.GetTempPath(), "activitylog-consumer-" + Guid.NewGuid().ToString("N")[..12]);
        Feed = Directory.CreateDirectory(Path.Combine(Root, "feed")).FullName;
        App = Directory.CreateDirectory(Path.Combine(Root, "app")).FullName;
        Packages = Directory.CreateDirectory(Path.Combine(Root, "packages")).FullName;
        CliHome = Directory.CreateDirectory(Path.Combine(Root, "cli-home")).FullName;
    }

    public string Root { get; }

    /// <summary>The local feed <c>dotnet pack</c> writes to.</summary>
    public string Feed { get; }

    /// <summary>The consumer web app.</summary>
    public string App { get; }

    /// <summary>The app's own global packages folder, so that ActivityLog* is always the freshly packed one.</summary>
    public string Packages { get; }

    /// <summary>The .NET CLI's home for the app's commands (its tool resolver cache lives there).</summary>
    public string CliHome { get; }

    /// <summary>The repository these tests were built from.</summary>
    public static string RepositoryRoot => Metadata("RepositoryRoot");

    /// <summary>The configuration the packages were built in (the tests' own).</summary>
    public static string BuildConfiguration => Metadata("BuildConfiguration");

    /// <summary>The version every package carries.</summary>
    public static string PackageVersion => Metadata("PackageVersion");

    /// <summary>The version of a third-party package in the repository's Directory.Packages.props.</summary>
    public static string CentralVersion(string id)
    {
        var props = XDocument.Load(Path.Combine(RepositoryRoot, "Directory.Packages.props"));
        return props.Descendants("PackageVersion").Single(p => (string?)p.Attribute("Include") == id).Attribute("Version")!.Value;
    }

    /// <summary>
    /// Writes the app's nuget.config: ActivityLog* from the local feed only, everything else from the repository's
    /// source (nuget.org), with the machine's packages folder as a read-only fallback for those.
    /// </summary>
    public void WriteNuGetConfig()
    {
        var source = XDocument.Load(Path.Combine(RepositoryRoot, "nuget.config"))
            .Descendants("packageSources").Elements("add").First().Attribute("value")!.Value;
        var machinePackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var config = new XDocument(
            new XElement("configuration",
                new XElement("config", new XElement("add", new XAttribute("key", "globalPackagesFolder"), new XAttribute("value", Packages))),
                new XElement("packageSources",
                    new XElement("clear"),
                    new XElement("add", new XAttribute("key", "activitylog-local"), new XAttribute("value", Feed)),
                    new XElement("add", new XAttribute("key", "nuget.org"), new XAttribute("value", source))),
                new XElement("fallbackPackageFolders",
                    new XElement("clear"),
                    new XElement("add", new XAttribute("key", "machine"), new XAttribute("value", machinePackages))),
                new XElement("packageSourceMapping",
                    new XElement("packageSource", new XAttribute("key", "activitylog-local"),
                        new XElement("package", new XAttribute("pattern", "ActivityLog*"))),
                    new XElement("packageSource", new XAttribute("key", "nuget.org"),
                        new XElement("package", new XAttribute("pattern", "*"))))));
        config.Save(Path.Combine(App, "nuget.config"));
    }

    /// <summary>The .nuspec inside a packed package.</summary>
    public XDocument Nuspec(string id)
    {
        using var package = ZipFile.OpenRead(Path.Combine(Feed, $"{id}.{PackageVersion}.nupkg"));
        using var stream = package.Entries.Single(e => e.FullName == $"{id}.nuspec").Open();
        return XDocument.Load(stream);
    }

    /// <summary>Whether a packed package holds an entry.</summary>
    public bool Contains(string id, string entry)
    {
        using var package = ZipFile.OpenRead(Path.Combine(Feed, $"{id}.{PackageVersion}.nupkg"));
        return package.Entries.Any(e => e.FullName == entry);
    }

    /// <summary>Copies the app's sources (next to the tests) into the app folder.</summary>
    public void CopyAppSources()
    {
        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "App")))
        {
            File.Copy(file, Path.Combine(App, Path.GetFileName(file)));
        }
    }

    /// <summary>The port Kestrel reports in "Now listening on: http://127.0.0.1:PORT", if the line is one.</summary>
    public static int? ListeningPort(string? line) =>
        line is not null && ListeningLine().Match(line) is { Success: true } match ? int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : null;

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by an ending process; the folder is under the temp directory.
        }
    }

    private static string Metadata(string key) =>
        typeof(ConsumerFolder).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value
        ?? throw new InvalidOperationException($"No {key} in the test assembly's metadata.");

    [GeneratedRegex(@"Now listening on: http://127\.0\.0\.1:(\d+)")]
    private static partial Regex ListeningLine();
}
