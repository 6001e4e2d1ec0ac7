using System.Diagnostics;

namespace ActivityLog.EntityFrameworkCore.Tests.Samples;

/// <summary>
/// Runs the quickstart sample (built with this project) as its own process, on its embedded SQLite default, and checks
/// what the README promises it prints: the six sentences of the documentation, read back from the database newest
/// first, and the documentation's webhook payload.
/// </summary>
public sealed class QuickstartSampleTests
{
    private static readonly string[] Sentences =
    [
        "John Doe added a domain.",
        "John Doe created the field First Name.",
        "John Doe deleted a sandbox QA.",
        "John Doe invited the user email@example.com to the account.",
        "John Doe removed the webhook Logging from Transactional.",
        "Someone attempted to log in to the user John Doe using GitHub.",
    ];

    [Fact]
    public async Task The_quickstart_prints_the_page_from_sqlite_newest_first_and_the_seed_payload()
    {
        string folder = Path.Combine(Path.GetTempPath(), "activitylog-tests", "quickstart-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        string assembly = SampleAssembly();
        File.Exists(assembly).Should().BeTrue("the test project builds the sample first, in the same configuration");

        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = folder };
        start.ArgumentList.Add(assembly);
        start.ArgumentList.Add($"--ConnectionStrings:ActivityLog=Data Source={Path.Combine(folder, "quickstart.db")}");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);

        process.ExitCode.Should().Be(0, await error);
        string text = await output;
        var lines = text.Split('\n');
        int[] positions = [.. Sentences.Select(s => Array.FindIndex(lines, l => l.Contains($" {s} ", StringComparison.Ordinal)))];
        positions.Should().OnlyContain(p => p >= 0, "each sentence of the documentation is on the page:\n" + text);
        positions.Should().BeInDescendingOrder("the page is newest first, and the sample records them in this order");
        File.Exists(Path.Combine(folder, "quickstart.db")).Should().BeTrue("the events are stored in the SQLite file");

        string payload = text[text.IndexOf('{', StringComparison.Ordinal)..];
        string compact = System.Text.Json.JsonSerializer.Serialize(System.Text.Json.JsonDocument.Parse(payload).RootElement);
        compact.Should().Be(
            """{"events":[{"event":"activity_log.user.updated","description":"updated the user profile","actor":{"id":783,"type":"user","name":"Jane Doe"},"resource":{"id":"783","type":"user","name":"Jane Doe"},"changes":{"name":{"to":"[FILTERED]","from":"[FILTERED]"}},"timestamp":1733739084}]}""");
    }

    /// <summary>The sample's own build output, in the configuration this test was built in (bin/CONFIG/net10.0).</summary>
    private static string SampleAssembly()
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string framework = output.Name;
        string configuration = output.Parent!.Name;
        var root = output;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "ActivityLog.sln")))
        {
            root = root.Parent;
        }

        root.Should().NotBeNull("the tests run from inside the repository");
        return Path.Combine(root!.FullName, "samples", "ActivityLog.Samples.Quickstart", "bin", configuration, framework, "ActivityLog.Samples.Quickstart.dll");
    }
}
