using System.Reflection;
using System.Text.RegularExpressions;
using ActivityLog.AspNetCore;
using ActivityLog.EntityFrameworkCore;
using ActivityLog.Testing;
using ActivityLog.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ActivityLog.AspNetCore.Tests.Logging;

/// <summary>
/// Issue 12, item 8: logging event ids are unique across every package, each in its package's range, and every one is
/// listed (with its name and level) in docs/logging.md. On 5964841 the EF package's schema and outbox messages both
/// used 601 and 602, and the core, EF and webhooks packages all had a 101.
/// </summary>
public sealed partial class LoggingEventIdTests
{
    private static readonly (Assembly Assembly, int Min, int Max)[] Packages =
    [
        (typeof(ActivityLogOptions).Assembly, 1000, 1999),
        (typeof(ActivityLogStoreOptions).Assembly, 2000, 2999),
        (typeof(PostgreSqlActivityLogBuilderExtensions).Assembly, 3000, 3999),
        (typeof(ActivityWebhookOptions).Assembly, 4000, 4999),
        (typeof(ActivityLogEndpointOptions).Assembly, 5000, 5999),
        (typeof(CapturingActivitySink).Assembly, 6000, 6999),
    ];

    [Fact]
    public void Every_id_is_unique_across_packages_and_inside_its_package_range()
    {
        var messages = Messages();

        messages.Should().OnlyHaveUniqueItems(m => m.Id);
        foreach (var (assembly, min, max) in Packages)
        {
            messages.Where(m => m.Package == assembly.GetName().Name && (m.Id < min || m.Id > max)).Should().BeEmpty($"{assembly.GetName().Name} owns {min}–{max}");
        }

        // Every package that logs was scanned (the testing package has no messages yet).
        messages.Select(m => m.Package).Distinct().Should().BeEquivalentTo(
            "ActivityLog", "ActivityLog.EntityFrameworkCore", "ActivityLog.EntityFrameworkCore.PostgreSQL", "ActivityLog.Webhooks", "ActivityLog.AspNetCore");
        messages.Should().OnlyContain(m => !m.Name.StartsWith("Log", StringComparison.Ordinal), "an event name says what happened, not that it is logged");
    }

    [Fact]
    public void Every_id_is_listed_in_docs_logging_md_with_its_name_level_and_package()
    {
        string doc = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "logging.md"));
        var listed = DocRow().Matches(doc).Select(m => (Id: int.Parse(m.Groups["id"].Value, System.Globalization.CultureInfo.InvariantCulture), Name: m.Groups["name"].Value, Level: m.Groups["level"].Value, Package: m.Groups["package"].Value)).ToList();

        listed.Should().OnlyHaveUniqueItems(r => r.Id);
        listed.Should().BeEquivalentTo(Messages().Select(m => (m.Id, m.Name, Level: m.Level.ToString(), m.Package)), "the table lists exactly the messages there are");
    }

    private static List<(int Id, string Name, LogLevel Level, string Package)> Messages() =>
    [
        .. from package in Packages
           from type in package.Assembly.GetTypes()
           from method in type.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly)
           let attribute = method.GetCustomAttribute<LoggerMessageAttribute>()
           where attribute is not null
           select (attribute.EventId, attribute.EventName ?? method.Name, attribute.Level, package.Assembly.GetName().Name!),
    ];

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "ActivityLog.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (ActivityLog.sln) is not above the test's directory.");
    }

    [GeneratedRegex(@"^\| (?<id>\d+) \| (?<name>\w+) \| (?<level>\w+) \| `(?<package>[\w.]+)` \|", RegexOptions.Multiline)]
    private static partial Regex DocRow();
}
