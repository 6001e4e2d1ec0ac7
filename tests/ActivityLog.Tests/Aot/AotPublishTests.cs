using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;

namespace ActivityLog.Tests.Aot;

/// <summary>
/// Publishes Aot/App with native AOT (<c>dotnet publish -c Release -r linux-x64 -p:PublishAot=true</c>, into a temp
/// dir, restoring through the repo's nuget.config), runs the native binary and reads what its sink received: a
/// registered plain object is walked member by member with its <c>[SensitiveData]</c> member masked, an unregistered
/// one is the mask whole (counted, logged once per type), and the tax id appears nowhere. The publish treats every
/// trim and AOT warning as an error (TrimmerSingleWarn off), so it also proves the core has no unproven trim warning
/// and that the suppressed reflection-serializer path is never taken under AOT. Needs clang: scripts/aot-prereqs.sh.
/// </summary>
public sealed class AotPublishTests : IDisposable
{
    private const string TaxId = "DE-TAX-123";

    private readonly string _temp = Directory.CreateTempSubdirectory("activitylog-aot-").FullName;

    [Fact]
    public async Task Native_aot_app_masks_sensitive_members_of_registered_types_and_unregistered_objects_whole()
    {
        string root = RepositoryRoot();
        string project = Path.Combine(root, "tests", "ActivityLog.Tests", "Aot", "App", "ActivityLog.AotApp.csproj");
        string output = Path.Combine(_temp, "out");

        var publish = await RunAsync(
            Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet",
            ["publish", project, "-c", "Release", "-r", "linux-x64", "-p:PublishAot=true", "--disable-build-servers", "-nodeReuse:false",
             "--artifacts-path", Path.Combine(_temp, "artifacts"), "-o", output],
            root,
            TimeSpan.FromMinutes(10));
        publish.ExitCode.Should().Be(0, "the native AOT publish must succeed (clang missing? run scripts/aot-prereqs.sh):\n{0}", publish.Output);
        publish.Output.Should().NotContainEquivalentOf("warning", "trim and AOT analysis must be clean:\n{0}", publish.Output);

        var run = await RunAsync(Path.Combine(output, "ActivityLog.AotApp"), [], output, TimeSpan.FromMinutes(1));
        run.ExitCode.Should().Be(0, run.Output);
        var lines = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        run.Output.Should().NotContain(TaxId);
        lines.Should().Contain("RUNTIME dynamic_code=False", "the binary must be native AOT code");

        var events = lines.Where(l => l.StartsWith("EVENT ", StringComparison.Ordinal)).Select(l => JsonNode.Parse(l["EVENT ".Length..])!).ToList();
        events.Select(e => (string?)e["event"]).Should().Equal(
            "activity_log.billing.registered", "activity_log.billing.unregistered", "activity_log.billing.unregistered", "activity_log.billing.nested");

        events[0]["changes"]!["billing"]!["to"]!.ToJsonString().Should().Be("""{"city":"Berlin","tax_id":"[FILTERED]"}""");
        events[1]["changes"]!["billing"]!["to"]!.ToJsonString().Should().Be("\"[FILTERED]\"");
        events[2]["changes"]!["billing"]!["to"]!.ToJsonString().Should().Be("\"[FILTERED]\"");
        events[3]["metadata"]!["order"]!.ToJsonString().Should().Be("""{"number":"A-1","invoice":"[FILTERED]"}""");

        lines.Should().Contain("MASKED_WHOLE 3", "each value masked whole is counted");
        lines.Should().ContainSingle(l => l.StartsWith("VALIDATION ", StringComparison.Ordinal))
            .Which.Should().Contain("ActivityLog:BatchDelay", "the suppressed TimeSpan range is enforced under native AOT by the generated validator");
        lines.Where(l => l.StartsWith("LOG ", StringComparison.Ordinal)).Should().ContainSingle()
            .Which.Should().StartWith("LOG 1101 ").And.Contain("of type Invoice was written as the mask whole");
    }

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ActivityLog.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("ActivityLog.sln not found above " + AppContext.BaseDirectory);
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, string[] arguments, string directory, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(file)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The test host runs under `dotnet test`: its MSBuild settings must not leak into the nested publish.
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";

        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(file)} did not finish within {timeout}.");
        }

        output.Append(await stdout).Append(await stderr);
        return (process.ExitCode, output.ToString());
    }
}
