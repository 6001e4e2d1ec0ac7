using System.Net;
using System.Text;
using System.Text.Json;
using ActivityLog.AspNetCore.Tests.Support;
using ActivityLog.EntityFrameworkCore;
using ActivityLog.Extensibility;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace ActivityLog.AspNetCore.Tests.Integration;

/// <summary>
/// The CSV export against formula injection (OWASP, ASVS 5.0 1.2.10): values planted in every place a user can write
/// to (actor, resource, change values, metadata through a description template) come back prefixed, and no spreadsheet
/// that splits on commas, semicolons or tabs sees a cell that starts a formula.
/// </summary>
/// <remarks>
/// Its own small host, because reaching metadata needs description templates that <see cref="TestWebApp"/> does not
/// register; otherwise the same parts: Kestrel on 127.0.0.1, the header authentication handler, the EF Core store on
/// an SQLite file, <c>UseActivityLog()</c> and <c>MapActivityLog()</c>.
/// </remarks>
public sealed class ExportFormulaInjectionTests
{
    private const string Export = "/settings/activity-log/api/export?format=csv";
    private const string Plain = "activity_log.webhook.renamed";
    private const string Embedded = "activity_log.webhook.updated";

    // What each payload tries: a formula at the cell start, behind each lead character OWASP names (and NUL), or
    // behind a separator a spreadsheet may split on.
    private static readonly string[] Payloads =
    [
        "=1+1",
        "+1+1",
        "-1+1",
        "@SUM(A1:A2)",
        "\t=1+1",
        "\r=1+1",
        "\0=1+1",
        "=HYPERLINK(\"http://evil.example\",\"x\")",
        "a;=cmd|' /C calc'!A0",
        "a,=cmd|' /C calc'!A0",
        "a\t=cmd|' /C calc'!A0",
        "say \"hi\";@SUM(A1)",
        "two\r\n=lines",
        "plain text",
    ];

    private static readonly char[] FormulaStarts = ['=', '+', '-', '@', '\t', '\r', '\0'];

    [Fact]
    public async Task Every_planted_value_round_trips_with_the_prefix_and_no_splitter_sees_a_formula()
    {
        await using var host = await Host.StartAsync();
        var recorder = host.App.Services.GetRequiredService<IActivityRecorder>();
        for (int i = 0; i < Payloads.Length; i++)
        {
            string p = Payloads[i];
            var actor = new ActivityActor("user", $"n{i}", p);
            var resource = new ActivityResource("webhook", p, p);
            var metadata = new Dictionary<string, object?> { ["note"] = p };
            if (p.Contains('\0', StringComparison.Ordinal))
            {
                // Record refuses NUL (no store can hold it in PostgreSQL), but an SQLite table can hold one written by
                // an older version or another writer: store those rows through the store's sink, as the pipeline would.
                await StoreDirectlyAsync(host, actor, resource, p);
                continue;
            }

            recorder.Record(Plain, resource, actor: actor, accountId: "acct-a", metadata: metadata);
            recorder.Record(Embedded, resource, [ActivityChange.Of("name", "old " + p, p)], actor: actor, accountId: "acct-a", metadata: metadata);
        }

        await host.App.Services.GetRequiredService<IActivityDispatcher>().FlushAsync().WaitAsync(TimeSpan.FromSeconds(30));
        using var request = new HttpRequestMessage(HttpMethod.Get, Export);
        TestUser.John.Apply(request);
        using var response = await host.Client.SendAsync(request).WaitAsync(TimeSpan.FromSeconds(30));
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        string text = await response.Content.ReadAsStringAsync();

        var rows = Csv.Parse(text);
        rows.Should().HaveCount(1 + (2 * Payloads.Length));
        rows.Skip(1).Should().OnlyContain(r => r.Count == 12, "no planted separator or line break splits a row");
        var byEvent = rows.Skip(1).ToDictionary(r => (r[2], r[4]));
        for (int i = 0; i < Payloads.Length; i++)
        {
            string p = Payloads[i];
            string because = $"payload {i} ({JsonSerializer.Serialize(p)})";
            var plain = byEvent[(Plain, $"n{i}")];
            plain[5].Should().Be(Defused(p), because);
            plain[7].Should().Be(Defused(p), because);
            plain[8].Should().Be(Defused(p), because);
            plain[9].Should().Be(Defused(p), "the description is the metadata value alone: " + because);
            plain[10].Should().Be(Defused($"{p} {p}."), because);

            var embedded = byEvent[(Embedded, $"n{i}")];
            string description = $"renamed the webhook from old {p} to {p} ({p})";
            embedded[9].Should().Be(description, because);
            embedded[10].Should().Be(Defused($"{p} {description}."), because);
            using var changes = JsonDocument.Parse(embedded[11]);
            var name = changes.RootElement.GetProperty("name");
            name.GetProperty("from").GetString().Should().Be("old " + p, because);
            name.GetProperty("to").GetString().Should().Be(p, because);
        }

        foreach (char separator in new[] { ',', ';', '\t' })
        {
            foreach (var cell in SplitOutsideQuotes(text, separator))
            {
                FormulaStarts.Should().NotContain(VisibleStart(cell), $"a spreadsheet splitting on {JsonSerializer.Serialize(separator)} sees the cell {JsonSerializer.Serialize(cell)}");
            }
        }
    }

    private static async Task StoreDirectlyAsync(Host host, ActivityActor actor, ActivityResource resource, string p)
    {
        var now = DateTimeOffset.UtcNow;
        ActivityLogEvent[] events =
        [
            new()
            {
                Id = Guid.CreateVersion7(now), Name = Plain, Description = p, Actor = actor, Resource = resource, Timestamp = now, AccountId = "acct-a",
                Metadata = new Dictionary<string, object?> { ["note"] = p },
            },
            new()
            {
                Id = Guid.CreateVersion7(now.AddTicks(1)), Name = Embedded, Description = $"renamed the webhook from old {p} to {p} ({p})", Actor = actor,
                Resource = resource, Timestamp = now, AccountId = "acct-a", Changes = [ActivityChange.Of("name", "old " + p, p)],
                Metadata = new Dictionary<string, object?> { ["note"] = p },
            },
        ];
        var store = host.App.Services.GetServices<IActivitySink>().Single(s => s is not ActivityLog.Testing.CapturingActivitySink);
        await store.WriteBatchAsync(events, CancellationToken.None);
    }

    [Fact]
    public async Task A_cell_with_a_semicolon_is_quoted_so_a_semicolon_splitter_keeps_it_whole()
    {
        await using var host = await Host.StartAsync();
        var recorder = host.App.Services.GetRequiredService<IActivityRecorder>();
        recorder.Record(Plain, new ActivityResource("webhook", "wh_1", "a;=cmd|' /C calc'!A0"), actor: new ActivityActor("user", "n0", "Ann"), accountId: "acct-a");
        await host.App.Services.GetRequiredService<IActivityDispatcher>().FlushAsync().WaitAsync(TimeSpan.FromSeconds(30));
        using var request = new HttpRequestMessage(HttpMethod.Get, Export);
        TestUser.John.Apply(request);
        using var response = await host.Client.SendAsync(request).WaitAsync(TimeSpan.FromSeconds(30));
        string text = await response.Content.ReadAsStringAsync();

        text.Should().Contain(",\"a;=cmd|' /C calc'!A0\",", "the resource name is one quoted cell");
        SplitOutsideQuotes(text, ';').Should().HaveCount(2, "a semicolon splitter sees one cell per line: the header and the row");
    }

    private static string Defused(string value) => value.Length > 0 && FormulaStarts.Contains(value[0]) ? "'" + value : value;

    /// <summary>
    /// Cells as a spreadsheet that splits on <paramref name="separator"/> would see them: a double quote toggles quoting
    /// wherever it is, separators and line ends inside quotes are content, and every line is a record.
    /// </summary>
    private static List<string> SplitOutsideQuotes(string text, char separator)
    {
        var cells = new List<string>();
        var cell = new StringBuilder();
        bool quoted = false;
        foreach (char c in text)
        {
            if (c == '"')
            {
                quoted = !quoted;
                cell.Append(c);
            }
            else if (!quoted && (c == separator || c is '\r' or '\n'))
            {
                if (cell.Length > 0 || c == separator)
                {
                    cells.Add(cell.ToString());
                }

                cell.Clear();
            }
            else
            {
                cell.Append(c);
            }
        }

        if (cell.Length > 0)
        {
            cells.Add(cell.ToString());
        }

        return cells;
    }

    // The first character a spreadsheet reads as content: a quoted cell starts after its opening quote ("" is a quote).
    private static char VisibleStart(string cell) =>
        cell.Length == 0 ? ' '
        : cell[0] != '"' ? cell[0]
        : cell.Length > 1 ? cell[1]
        : ' ';

    private sealed class Host : IAsyncDisposable
    {
        private readonly string _folder;

        private Host(WebApplication app, string folder)
        {
            App = app;
            _folder = folder;
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
            Client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = new Uri(address) };
        }

        public WebApplication App { get; }

        public HttpClient Client { get; }

        public static async Task<Host> StartAsync()
        {
            string folder = Path.Combine(Path.GetTempPath(), "activitylog-aspnetcore-tests", Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(folder);
            string connectionString = new SqliteConnectionStringBuilder { DataSource = Path.Combine(folder, "activity.db"), Pooling = false }.ToString();

            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
            builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            builder.Services.AddSingleton<TimeProvider>(new FakeTimeProvider(TestWebApp.Start) { AutoAdvanceAmount = TimeSpan.FromSeconds(1) });
            builder.Services.AddAuthentication(HeaderAuthenticationHandler.SchemeName)
                .AddScheme<AuthenticationSchemeOptions, HeaderAuthenticationHandler>(HeaderAuthenticationHandler.SchemeName, configureOptions: null);
            builder.Services.AddAuthorization();
            builder.Services.AddActivityLog(o => o.BatchDelay = TimeSpan.Zero)
                .AddDescription(Plain, "{metadata.note}")
                .AddDescription(Embedded, "renamed the webhook from {changes.name.from} to {changes.name.to} ({metadata.note})")
                .AddEntityFrameworkStore(db => db.UseSqlite(connectionString), store => store.CreateSchemaOnStart = true)
                .AddAspNetCore();

            var app = builder.Build();
            app.UseAuthentication();
            app.UseActivityLog();
            app.UseAuthorization();
            app.MapActivityLog("/settings/activity-log");
            await app.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
            return new Host(app, folder);
        }

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            await App.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
            await App.DisposeAsync();
            Directory.Delete(_folder, recursive: true);
        }
    }
}
