using System.Net;
using System.Text.Json;
using ActivityLog.AspNetCore.Tests.Support;

namespace ActivityLog.AspNetCore.Tests.Integration;

/// <summary>GET {pattern}/api/export: JSON Lines and CSV downloads of a filtered range, streamed from the reader.</summary>
public sealed class ExportTests
{
    private const string Export = "/settings/activity-log/api/export";

    // More than the store's largest page (500), so the export spans several reader pages.
    private const int ManyEvents = 1_234;

    [Fact]
    public async Task Json_lines_hold_every_matching_event_newest_first_across_reader_pages()
    {
        await using var app = await TestWebApp.StartAsync();
        Seed.Domains(app, ManyEvents);
        Seed.Record(app, "acct-a", Seed.John, "activity_log.user.updated", new ActivityResource("user", "783", "John Doe"));
        Seed.Record(app, "acct-b", Seed.Jane, "activity_log.domain.added", new ActivityResource("domain", "other", "other.example"));
        await app.FlushAsync();

        using var response = await app.GetAsync(Export + "?format=jsonl&event=activity_log.domain.*", TestUser.John);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/jsonl");
        response.Content.Headers.ContentDisposition!.DispositionType.Should().Be("attachment");
        response.Content.Headers.ContentDisposition.FileName.Should().MatchRegex(@"^""?activity-log-\d{8}T\d{6}Z\.jsonl""?$");
        response.Headers.TransferEncodingChunked.Should().BeTrue("the body is streamed, not buffered to learn its length");

        string body = await response.Content.ReadAsStringAsync();
        body.Should().EndWith("\n");
        var lines = body.TrimEnd('\n').Split('\n');
        lines.Should().HaveCount(ManyEvents);
        var names = lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("resource").GetProperty("name").GetString()).ToList();
        names.Should().Equal(Enumerable.Range(0, ManyEvents).Reverse().Select(i => $"d{i}.example"));
        using var first = JsonDocument.Parse(lines[0]);
        first.RootElement.EnumerateObject().Select(p => p.Name).Should().Equal("event", "description", "actor", "resource", "changes", "timestamp", "id");
    }

    [Fact]
    public async Task Csv_escapes_quotes_commas_and_line_breaks_and_defuses_formulas()
    {
        await using var app = await TestWebApp.StartAsync();
        Seed.Record(app, "acct-a", Seed.John, "activity_log.webhook.created", new ActivityResource("webhook", "wh_1", "Logging, \"main\"\nline two"));
        Seed.Record(app, "acct-a", ActivityActor.User(9, "=HYPERLINK(\"http://evil.example\")"), "activity_log.webhook.created", new ActivityResource("webhook", "wh_2", "+1 cmd"));
        Seed.Record(app, "acct-a", Seed.John, "activity_log.webhook.created", new ActivityResource("webhook", "-2", "@SUM(A1)"));
        Seed.Record(app, "acct-a", Seed.John, "activity_log.user.updated", new ActivityResource("user", "783", "John Doe"),
            related: null);
        await app.FlushAsync();

        using var response = await app.GetAsync(Export + "?format=csv&resource_type=webhook", TestUser.John);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.Should().Be("text/csv");
        response.Content.Headers.ContentDisposition!.DispositionType.Should().Be("attachment");
        string text = await response.Content.ReadAsStringAsync();

        var rows = Csv.Parse(text);
        rows[0].Should().Equal("id", "timestamp", "event", "actor_type", "actor_id", "actor_name", "resource_type", "resource_id",
            "resource_name", "description", "sentence", "changes");
        rows.Should().HaveCount(4, "a header and the three webhook events");
        rows.Skip(1).Should().OnlyContain(r => r.Count == 12);

        var newest = rows[1];
        newest[7].Should().Be("'-2");
        newest[8].Should().Be("'@SUM(A1)");
        newest[10].Should().Be("John Doe created the webhook @SUM(A1).");

        var formula = rows[2];
        formula[5].Should().Be("'=HYPERLINK(\"http://evil.example\")");
        formula[8].Should().Be("'+1 cmd");
        formula[10].Should().Be("'=HYPERLINK(\"http://evil.example\") created the webhook +1 cmd.");

        var quoted = rows[3];
        quoted[3].Should().Be("user");
        quoted[4].Should().Be("783");
        quoted[8].Should().Be("Logging, \"main\"\nline two");
        Guid.TryParse(quoted[0], out _).Should().BeTrue();
        DateTimeOffset.Parse(quoted[1], System.Globalization.CultureInfo.InvariantCulture).Should().BeAfter(TestWebApp.Start);
    }

    [Theory]
    [InlineData("jsonl")]
    [InlineData("csv")]
    public async Task Rows_reach_the_client_while_the_store_is_still_being_read(string format)
    {
        GatedReader? gate = null;
        await using var app = await TestWebApp.StartAsync(new TestWebAppOptions { DecorateReader = inner => gate = new GatedReader(inner, pauseAfter: 700) });
        Seed.Domains(app, ManyEvents);
        await app.FlushAsync();
        var request = new HttpRequestMessage(HttpMethod.Get, Export + "?format=" + format);
        TestUser.John.Apply(request);
        using var response = await app.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WaitAsync(TimeSpan.FromSeconds(30));
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        await gate!.Paused.WaitAsync(TimeSpan.FromSeconds(30));

        // The store read stops at event 700 until released; the first 100 rows must already be readable.
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        int lines = 0;
        while (lines < 100)
        {
            (await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30))).Should().NotBeNull();
            lines++;
        }

        gate.Release();
        string rest = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
        int total = lines + rest.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
        total.Should().Be(format == "csv" ? ManyEvents + 1 : ManyEvents, "every row arrives once the read goes on");
    }

    [Fact]
    public async Task Csv_of_many_events_is_complete()
    {
        await using var app = await TestWebApp.StartAsync();
        Seed.Domains(app, ManyEvents);
        await app.FlushAsync();
        using var response = await app.GetAsync(Export + "?format=csv", TestUser.John);
        var rows = Csv.Parse(await response.Content.ReadAsStringAsync());
        rows.Should().HaveCount(ManyEvents + 1);
        rows.Skip(1).Select(r => r[0]).Should().OnlyHaveUniqueItems();
        rows[^1][8].Should().Be("d0.example");
    }

    [Theory]
    [InlineData("?format=xml", "'format'")]
    [InlineData("?format=csv&to=soon", "'to'")]
    [InlineData("?format=jsonl&cursor=garbled", "cursor")]
    public async Task Bad_input_is_a_400_problem_before_any_row(string query, string expected)
    {
        await using var app = await TestWebApp.StartAsync();
        var problem = await ApiJson.ReadProblemAsync(await app.GetAsync(Export + query, TestUser.John), HttpStatusCode.BadRequest);
        problem.GetProperty("detail").GetString().Should().ContainEquivalentOf(expected);
    }
    [Fact]
    public async Task An_export_does_not_list_its_own_record_however_late_its_first_query_runs()
    {
        // The export records itself before its first byte leaves; a first query that ran after that record reached the
        // store (the dispatcher's batch delay, a busy machine) listed it as the first row. Here the first query waits
        // for a flush, so the record is stored by then if it was made before the query.
        TestWebApp? app = null;
        await using var started = await TestWebApp.StartAsync(new TestWebAppOptions
        {
            Endpoints = e => e.RecordViews = true,
            DecorateReader = inner => new LateFirstQueryReader(inner, () => app!.FlushAsync()),
        });
        app = started;
        Seed.Domains(app, 3);
        await app.FlushAsync();

        using var response = await app.GetAsync(Export + "?format=jsonl", TestUser.John);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var lines = (await response.Content.ReadAsStringAsync()).TrimEnd('\n').Split('\n');
        lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("event").GetString()).Should().Equal(Enumerable.Repeat("activity_log.domain.added", 3));

        await app.FlushAsync();
        var page = await app.Reader.ReadPageAsync(new ActivityLogQuery("acct-a"));
        page.Events[0].Name.Should().Be("activity_log.activity_log.exported", "the export is still recorded");
    }

    /// <summary>The real reader, whose export enumeration first waits for <paramref name="beforeFirstQuery"/>.</summary>
    private sealed class LateFirstQueryReader(IActivityLogReader inner, Func<Task> beforeFirstQuery) : IActivityLogReader
    {
        public Task<ActivityLogPage> ReadPageAsync(ActivityLogQuery query, CancellationToken cancellationToken = default) =>
            inner.ReadPageAsync(query, cancellationToken);

        public async IAsyncEnumerable<ActivityLogEvent> ReadAllAsync(
            ActivityLogQuery query, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await beforeFirstQuery();
            await foreach (var activity in inner.ReadAllAsync(query, cancellationToken))
            {
                yield return activity;
            }
        }
    }
}
