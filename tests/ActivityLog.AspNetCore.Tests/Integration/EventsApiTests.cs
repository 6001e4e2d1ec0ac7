using System.Net;
using ActivityLog.AspNetCore.Tests.Support;

namespace ActivityLog.AspNetCore.Tests.Integration;

/// <summary>GET {pattern}/api/events: the reader's filters and cursor over HTTP, on a real SQLite store.</summary>
public sealed class EventsApiTests
{
    private const string Api = "/settings/activity-log/api/events";

    [Fact]
    public async Task A_page_is_the_payload_json_with_ids_newest_first_and_a_next_cursor()
    {
        await using var app = await TestWebApp.StartAsync();
        await Seed.SeedExamplesAsync(app, "acct-a");

        var page = await ApiJson.ReadPageAsync(await app.GetAsync(Api, TestUser.John));
        page.NextCursor.Should().BeNull("six events fit on one page");
        page.Names.Should().Equal(
            "activity_log.webhook.removed", "activity_log.user.login_failed", "activity_log.user.invited",
            "activity_log.sandbox.deleted", "activity_log.field.created", "activity_log.domain.added");
        var webhook = page.Events[0];
        webhook.EnumerateObject().Select(p => p.Name).Should().Equal("event", "description", "actor", "resource", "related_resources", "changes", "timestamp", "id");
        webhook.GetProperty("actor").GetProperty("id").GetInt64().Should().Be(783, "a numeric actor id stays a JSON number");
        webhook.GetProperty("description").GetString().Should().Be("removed the webhook Logging from Transactional");
        page.Events.Select(e => e.GetProperty("timestamp").GetInt64()).Should().BeInDescendingOrder().And.OnlyHaveUniqueItems()
            .And.OnlyContain(t => t > TestWebApp.Start.ToUnixTimeSeconds());
        webhook.TryGetProperty("context", out _).Should().BeFalse("context (IP addresses) is opt-in");
    }

    [Fact]
    public async Task Filters_by_actor_resource_event_and_time_range()
    {
        await using var app = await TestWebApp.StartAsync();
        Seed.Record(app, "acct-a", Seed.John, "activity_log.user.updated", new ActivityResource("user", "783", "John Doe"));      // t+1
        Seed.Record(app, "acct-a", Seed.Jane, "activity_log.user.created", new ActivityResource("user", "785", "New Hire"));      // t+2
        Seed.Record(app, "acct-a", Seed.John, "activity_log.user_role.created", new ActivityResource("user_role", "r1", "Admin")); // t+3
        Seed.Record(app, "acct-a", Seed.Jane, "activity_log.webhook.removed", new ActivityResource("webhook", "wh_1", "Logging")); // t+4
        Seed.Record(app, "acct-a", Seed.John, "activity_log.webhook.created", new ActivityResource("webhook", "wh_2", "Billing")); // t+5
        await app.FlushAsync();
        var all = await ApiJson.ReadPageAsync(await app.GetAsync(Api, TestUser.John));
        all.Events.Should().HaveCount(5);
        var times = all.Events.Select(e => DateTimeOffset.FromUnixTimeSeconds(e.GetProperty("timestamp").GetInt64())).ToList();

        async Task<IEnumerable<string>> Names(string query) => (await ApiJson.ReadPageAsync(await app.GetAsync(Api + query, TestUser.John))).Names;

        (await Names("?actor_type=user&actor_id=784")).Should().Equal("activity_log.webhook.removed", "activity_log.user.created");
        (await Names("?actor_type=user")).Should().HaveCount(5);
        (await Names("?resource_type=webhook")).Should().Equal("activity_log.webhook.created", "activity_log.webhook.removed");
        (await Names("?resource_type=webhook&resource_id=wh_1")).Should().Equal("activity_log.webhook.removed");
        (await Names("?event=activity_log.user.updated")).Should().Equal("activity_log.user.updated");
        (await Names("?event=activity_log.user.*")).Should().Equal("activity_log.user.created", "activity_log.user.updated");
        (await Names("?event=activity_log.user.*&event=activity_log.webhook.created")).Should().Equal(
            "activity_log.webhook.created", "activity_log.user.created", "activity_log.user.updated");

        // from is inclusive, to exclusive: the middle three events.
        string from = Uri.EscapeDataString(times[3].ToString("O"));
        string to = Uri.EscapeDataString(times[0].ToString("O"));
        (await Names($"?from={from}&to={to}")).Should().Equal(
            "activity_log.webhook.removed", "activity_log.user_role.created", "activity_log.user.created");
    }

    [Fact]
    public async Task Cursor_paging_walks_every_event_once_without_gaps()
    {
        await using var app = await TestWebApp.StartAsync();
        Seed.Domains(app, 23);
        await app.FlushAsync();
        var everything = (await ApiJson.ReadPageAsync(await app.GetAsync(Api + "?page_size=100", TestUser.John))).Ids.ToList();
        everything.Should().HaveCount(23);

        var walked = new List<string>();
        string? cursor = null;
        int pages = 0;
        do
        {
            var page = await ApiJson.ReadPageAsync(await app.GetAsync(
                Api + "?page_size=5&event=activity_log.domain.*" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)), TestUser.John));
            page.Events.Should().HaveCountLessThanOrEqualTo(5);
            walked.AddRange(page.Ids);
            cursor = page.NextCursor;
            pages++;
        }
        while (cursor is not null && pages < 10);

        pages.Should().Be(5);
        walked.Should().Equal(everything, "pages follow one another without duplicates or gaps");
    }

    [Theory]
    [InlineData("?from=yesterday", "'from'")]
    [InlineData("?page_size=abc", "'page_size'")]
    [InlineData("?page_size=0", "'page_size'")]
    [InlineData("?cursor=not-a-cursor", "cursor")]
    [InlineData("?actor_id=783", "actor type")]
    [InlineData("?event=Bad%20Name!", "event")]
    [InlineData("?actor_type=user&actor_type=api_token", "'actor_type' may be given once")]
    public async Task Bad_input_is_a_400_problem_naming_what_is_wrong(string query, string expected)
    {
        await using var app = await TestWebApp.StartAsync();
        var problem = await ApiJson.ReadProblemAsync(await app.GetAsync(Api + query, TestUser.John), HttpStatusCode.BadRequest);
        problem.GetProperty("status").GetInt32().Should().Be(400);
        problem.GetProperty("detail").GetString().Should().ContainEquivalentOf(expected);
    }

    [Fact]
    public async Task PostgreSql_store_serves_the_same_api()
    {
        await using var app = await TestWebApp.StartAsync(new TestWebAppOptions { PostgreSql = true });
        await Seed.SeedExamplesAsync(app, "acct-a");
        await Seed.SeedExamplesAsync(app, "acct-b");

        var first = await ApiJson.ReadPageAsync(await app.GetAsync(Api + "?page_size=4&account_id=acct-b", TestUser.John));
        first.Events.Should().HaveCount(4);
        first.NextCursor.Should().NotBeNull();
        var second = await ApiJson.ReadPageAsync(await app.GetAsync(Api + "?page_size=4&cursor=" + Uri.EscapeDataString(first.NextCursor!), TestUser.John));
        second.Events.Should().HaveCount(2);
        second.NextCursor.Should().BeNull();
        first.Ids.Concat(second.Ids).Should().OnlyHaveUniqueItems().And.HaveCount(6);
        var johns = await app.Reader.ReadPageAsync(new ActivityLogQuery("acct-a"));
        first.Ids.Concat(second.Ids).Should().Equal(johns.Events.Select(e => e.Id.ToString()), "John's own account, whatever account_id the query names");

        var page = new PageDocument(await (await app.GetAsync("/settings/activity-log?event=activity_log.webhook.*", TestUser.John)).Content.ReadAsStringAsync());
        page.Rows.Should().ContainSingle().Which.Description.Should().Be("John Doe removed the webhook Logging from Transactional.");
    }
}
