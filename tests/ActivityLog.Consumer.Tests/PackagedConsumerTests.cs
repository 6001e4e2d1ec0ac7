using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Xml.Linq;
using ActivityLog.Consumer.Tests.Support;

namespace ActivityLog.Consumer.Tests;

/// <summary>
/// What a team that installs the packages gets: every src/ package packed, then a web app in a folder outside the
/// repository, restored with ActivityLog* from that folder only, written from the READMEs (its own DbContext with
/// <c>modelBuilder.AddActivityLog()</c>, a <c>dotnet ef</c> migration, <c>UseActivityLog</c>, <c>MapActivityLog</c>),
/// run on 127.0.0.1, records an activity through an endpoint and shows it on the Activity Log page and API.
/// </summary>
public sealed class PackagedConsumerTests : IDisposable
{
    private static readonly string[] Packages =
    [
        "ActivityLog", "ActivityLog.AspNetCore", "ActivityLog.EntityFrameworkCore",
        "ActivityLog.EntityFrameworkCore.PostgreSQL", "ActivityLog.Webhooks", "ActivityLog.Testing",
    ];

    private static readonly TimeSpan Step = TimeSpan.FromMinutes(3);

    private readonly ConsumerFolder _folder = new();
    private readonly DotNetProcess _dotnet;
    private Process? _app;

    public PackagedConsumerTests() => _dotnet = new DotNetProcess(_folder.Packages, _folder.CliHome);

    [Fact]
    public async Task A_web_app_outside_the_repository_runs_on_the_packed_packages_as_the_readmes_say()
    {
        var version = ConsumerFolder.PackageVersion;
        version.Should().MatchRegex(@"^\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?$");

        // 1. Pack every package as CI would (already built in this configuration: no build of its own).
        foreach (var id in Packages)
        {
            await _dotnet.RunAsync(ConsumerFolder.RepositoryRoot, Step, "pack", Path.Combine("src", id, $"{id}.csproj"),
                "--no-build", "-c", ConsumerFolder.BuildConfiguration, "-o", _folder.Feed);
        }

        foreach (var id in Packages)
        {
            File.Exists(Path.Combine(_folder.Feed, $"{id}.{version}.snupkg")).Should().BeTrue($"{id} ships its symbols");
            _folder.Contains(id, "README.md").Should().BeTrue($"{id} carries its README");
            var metadata = _folder.Nuspec(id).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
            Element(metadata, "readme").Value.Should().Be("README.md");
            Element(metadata, "projectUrl").Value.Should().Be("https://github.com/activitylog-dotnet/activitylog");
            Element(metadata, "repository").Attribute("url")!.Value.Should().Be("https://github.com/activitylog-dotnet/activitylog");
            foreach (var sibling in metadata.Descendants().Where(e => e.Name.LocalName == "dependency" && ((string)e.Attribute("id")!).StartsWith("ActivityLog", StringComparison.Ordinal)))
            {
                sibling.Attribute("version")!.Value.Should().Be($"[{version}]", $"{id} depends on exactly the {sibling.Attribute("id")!.Value} it was built with");
            }
        }

        // 2. A web app outside the repository, installed as the READMEs say.
        _folder.Root.Should().NotStartWith(ConsumerFolder.RepositoryRoot);
        _folder.WriteNuGetConfig();
        _folder.CopyAppSources();
        await File.WriteAllTextAsync(Path.Combine(_folder.App, "ConsumerApp.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk.Web">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
            </Project>
            """);
        var efVersion = ConsumerFolder.CentralVersion("Microsoft.EntityFrameworkCore.Sqlite");
        await AddPackage("ActivityLog.AspNetCore", version);
        await AddPackage("ActivityLog.EntityFrameworkCore", version);
        await AddPackage("Microsoft.EntityFrameworkCore.Sqlite", efVersion);
        await AddPackage("Microsoft.EntityFrameworkCore.Design", efVersion);
        await _dotnet.RunAsync(_folder.App, Step, "restore");
        Directory.Exists(Path.Combine(_folder.Packages, "activitylog.aspnetcore", version))
            .Should().BeTrue("the app restored ActivityLog.AspNetCore from the packed feed, not from a cache");
        await _dotnet.RunAsync(_folder.App, Step, "new", "tool-manifest");
        await _dotnet.RunAsync(_folder.App, Step, "tool", "install", "dotnet-ef", "--version", efVersion);

        // 3. The table comes from a migration of the app's own model, applied with the EF tools.
        await _dotnet.RunAsync(_folder.App, Step, "ef", "migrations", "add", "Initial");
        var migration = Directory.GetFiles(Path.Combine(_folder.App, "Migrations"), "*_Initial.cs").Should().ContainSingle().Subject;
        (await File.ReadAllTextAsync(migration)).Should().Contain("\"activity_events\"");
        await _dotnet.RunAsync(_folder.App, Step, "ef", "database", "update");
        File.Exists(Path.Combine(_folder.App, "app.db")).Should().BeTrue();

        // 4. Run it on a free port of 127.0.0.1, sign in, record through an endpoint, read the page and the API.
        var baseAddress = await StartAppAsync();
        using var handler = new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false };
        using var http = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };

        (await http.GetAsync(new Uri("/settings/activity-log/api/events", UriKind.Relative))).StatusCode
            .Should().NotBe(HttpStatusCode.OK, "the Activity Log is never anonymous");
        (await http.PostAsync(new Uri("/sign-in", UriKind.Relative), null)).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await http.PostAsync(new Uri("/webhooks/wh_1/remove", UriKind.Relative), null)).StatusCode.Should().Be(HttpStatusCode.NoContent);

        var recorded = await WaitForEventAsync(http);
        recorded.GetProperty("actor").GetProperty("name").GetString().Should().Be("John Doe");
        recorded.GetProperty("actor").GetProperty("id").GetInt64().Should().Be(783);
        recorded.GetProperty("resource").GetProperty("id").GetString().Should().Be("wh_1");

        var page = await http.GetStringAsync(new Uri("/settings/activity-log", UriKind.Relative));
        page.Should().Contain("id=\"activity-log\"").And.Contain("class=\"activity\"")
            .And.Contain("John Doe removed the webhook Logging from Transactional.");
    }

    public void Dispose()
    {
        if (_app is { HasExited: false })
        {
            _app.Kill(entireProcessTree: true);
            _app.WaitForExit(10_000);
        }

        _app?.Dispose();
        _folder.Dispose();
    }

    private static XElement Element(XElement parent, string name) =>
        parent.Elements().Single(e => e.Name.LocalName == name);

    private Task AddPackage(string id, string version) =>
        _dotnet.RunAsync(_folder.App, Step, "add", "package", id, "--version", version, "--no-restore");

    private async Task<Uri> StartAppAsync()
    {
        var dll = Path.Combine(_folder.App, "bin", "Debug", "net10.0", "ConsumerApp.dll");
        _app = _dotnet.Start(_folder.App, dll, "--urls", "http://127.0.0.1:0");
        var port = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        void Read(object? sender, DataReceivedEventArgs e)
        {
            if (e.Data is not null)
            {
                output.Enqueue(e.Data);
            }

            if (ConsumerFolder.ListeningPort(e.Data) is { } listening)
            {
                port.TrySetResult(listening);
            }
        }

        _app.OutputDataReceived += Read;
        _app.ErrorDataReceived += Read;
        _app.BeginOutputReadLine();
        _app.BeginErrorReadLine();
        var exited = _app.WaitForExitAsync();
        var first = await Task.WhenAny(port.Task, exited, Task.Delay(TimeSpan.FromMinutes(1)));
        if (first != port.Task)
        {
            throw new InvalidOperationException($"The app did not start listening:\n{string.Join('\n', output)}");
        }

        return new Uri($"http://127.0.0.1:{await port.Task}");
    }

    /// <summary>The recorded event, read through the API once the background dispatcher has stored it.</summary>
    private static async Task<JsonElement> WaitForEventAsync(HttpClient http)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            using var response = await http.GetAsync(new Uri("/settings/activity-log/api/events", UriKind.Relative));
            response.StatusCode.Should().Be(HttpStatusCode.OK);
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var events = body.RootElement.GetProperty("events").EnumerateArray()
                .Where(e => e.GetProperty("event").GetString() == "activity_log.webhook.removed").ToList();
            if (events.Count > 0)
            {
                events.Should().ContainSingle();
                return events[0].Clone();
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("The recorded activity never showed up in the Activity Log API.");
            }

            await Task.Delay(200);
        }
    }
}
