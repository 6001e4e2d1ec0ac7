using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;

namespace ActivityLog.AspNetCore.Tests.Samples;

/// <summary>
/// The built web sample as a real process (<c>dotnet ActivityLog.Samples.WebApp.dll --urls http://127.0.0.1:0</c>),
/// the way <c>dotnet run</c> starts it: it creates its SQLite schema, serves its home page, and refuses the
/// Activity Log page to a signed-out visitor.
/// </summary>
public sealed partial class WebSampleProcessTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task The_sample_starts_serves_its_home_page_and_refuses_the_activity_log_to_a_signed_out_visitor()
    {
        string databasePath = Path.Combine(Path.GetTempPath(), $"activitylog-websample-process-{Guid.NewGuid():N}.db");
        try
        {
            await using var sample = await SampleProcess.StartAsync($"--Sample:DatabasePath={databasePath}");
            using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = sample.BaseAddress, Timeout = Timeout };

            using var home = await http.GetAsync(new Uri("/", UriKind.Relative));
            home.StatusCode.Should().Be(HttpStatusCode.OK);
            home.Content.Headers.ContentType!.MediaType.Should().Be("text/html");
            string html = await home.Content.ReadAsStringAsync();
            html.Should().Contain("<h1>ActivityLog sample</h1>").And.Contain("href=\"/sign-in\"").And.Contain("John Doe (account acme)");

            using var page = await http.GetAsync(new Uri("/settings/activity-log", UriKind.Relative));
            page.StatusCode.Should().Be(HttpStatusCode.Redirect);
            page.Headers.Location!.OriginalString.Should().Contain("/sign-in?ReturnUrl=%2Fsettings%2Factivity-log");

            using var api = await http.GetAsync(new Uri("/settings/activity-log/api/events", UriKind.Relative));
            api.StatusCode.Should().Be(HttpStatusCode.Redirect, "the cookie scheme challenges the API like the page");
            (await api.Content.ReadAsStringAsync()).Should().NotContain("events");

            using var signIn = await http.GetAsync(new Uri("/sign-in", UriKind.Relative));
            signIn.StatusCode.Should().Be(HttpStatusCode.OK);
            (await signIn.Content.ReadAsStringAsync()).Should().Contain("id=\"sign-in-form\"").And.Contain("Sign in with GitHub");

            // The schema was created at start in the configured file (CreateSchemaOnStart).
            File.Exists(databasePath).Should().BeTrue();
            await using var connection = new SqliteConnection($"Data Source={databasePath};Mode=ReadOnly;Pooling=False");
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'";
            ((long)(await command.ExecuteScalarAsync())!).Should().BeGreaterThan(0);
        }
        finally
        {
            foreach (string suffix in new[] { "", "-wal", "-shm" })
            {
                File.Delete(databasePath + suffix);
            }
        }
    }

    /// <summary>The sample's built dll run with <c>dotnet</c>, its output read until Kestrel says where it listens.</summary>
    private sealed partial class SampleProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly List<string> _output = [];

        private SampleProcess(Process process) => _process = process;

        public Uri BaseAddress { get; private set; } = null!;

        public static async Task<SampleProcess> StartAsync(params string[] arguments)
        {
            // The test project references the sample, so its build output (dll, deps, runtimeconfig, appsettings)
            // sits next to the test assembly.
            string dll = Path.Combine(AppContext.BaseDirectory, "ActivityLog.Samples.WebApp.dll");
            File.Exists(dll).Should().BeTrue();
            File.Exists(Path.ChangeExtension(dll, ".runtimeconfig.json")).Should().BeTrue("dotnet needs the sample's runtimeconfig to run it");
            var start = new ProcessStartInfo("dotnet")
            {
                WorkingDirectory = AppContext.BaseDirectory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.ArgumentList.Add(dll);
            start.ArgumentList.Add("--urls");
            start.ArgumentList.Add("http://127.0.0.1:0");
            start.ArgumentList.Add("--contentRoot");
            start.ArgumentList.Add(AppContext.BaseDirectory);
            foreach (string argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            start.Environment["DOTNET_ENVIRONMENT"] = "Production";
            start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
            start.Environment["Logging__Console__FormatterName"] = "simple";
            var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
            var process = new Process { StartInfo = start, EnableRaisingEvents = true };
            var sample = new SampleProcess(process);
            process.OutputDataReceived += (_, e) => sample.OnOutput(e.Data, listening);
            process.ErrorDataReceived += (_, e) => sample.OnOutput(e.Data, listening);
            process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException(
                $"The sample exited with code {process.ExitCode} before listening:\n{sample.Output}"));
            process.Start().Should().BeTrue();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            try
            {
                sample.BaseAddress = await listening.Task.WaitAsync(Timeout);
            }
            catch
            {
                await sample.DisposeAsync();
                throw;
            }

            return sample;
        }

        private string Output
        {
            get
            {
                lock (_output)
                {
                    return string.Join('\n', _output);
                }
            }
        }

        private void OnOutput(string? line, TaskCompletionSource<Uri> listening)
        {
            if (line is null)
            {
                return;
            }

            lock (_output)
            {
                _output.Add(line);
            }

            if (ListeningOn().Match(line) is { Success: true } match)
            {
                listening.TrySetResult(new Uri(match.Groups["url"].Value));
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            await _process.WaitForExitAsync().WaitAsync(Timeout);
            _process.Dispose();
        }

        [GeneratedRegex(@"Now listening on: (?<url>http://127\.0\.0\.1:\d+)")]
        private static partial Regex ListeningOn();
    }
}
