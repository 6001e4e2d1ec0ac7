using System.Net;
using ActivityLog.AspNetCore.Tests.Support;

namespace ActivityLog.AspNetCore.Tests.Integration;

/// <summary>GET {pattern}: the server-rendered page, its columns and sentences, filters, load-more and encoding.</summary>
public sealed class PageTests
{
    private const string Page = "/settings/activity-log";

    [Fact]
    public async Task The_page_lists_actor_description_resource_and_date_with_the_seed_sentences()
    {
        await using var app = await TestWebApp.StartAsync();
        await Seed.SeedExamplesAsync(app, "acct-a");

        using var response = await app.GetAsync(Page, TestUser.John);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.ToString().Should().Be("text/html; charset=utf-8");
        var page = new PageDocument(await response.Content.ReadAsStringAsync());

        page.Html.Should().Contain("<table id=\"activity-log\" class=\"rows\">")
            .And.Contain("<th scope=\"col\">Actor</th><th scope=\"col\">Description</th><th scope=\"col\">Resource</th><th scope=\"col\">Date</th>")
            .And.Contain("<form id=\"activity-log-filters\" method=\"get\" role=\"search\"")
            .And.Contain("name=\"q\"").And.Contain("name=\"range\"").And.Contain("<select id=\"filter-actor\" name=\"actor\">")
            .And.Contain("name=\"resource_type\"").And.Contain("name=\"resource_name\"").And.Contain("<select id=\"filter-event\" name=\"event\">")
            .And.Contain("<option value=\"user:783\">John Doe</option>").And.Contain("<button type=\"submit\">");
        page.Rows.Should().OnlyContain(r => r.DetailsHref.StartsWith("/settings/activity-log/events/", StringComparison.Ordinal));
        page.IsEmptyState.Should().BeFalse();
        page.LoadMoreHref.Should().BeNull("everything fits on the first page");
        page.Rows.Select(r => r.Description).Should().Equal(
            "John Doe removed the webhook Logging from Transactional.",
            "Someone attempted to log in to the user John Doe using GitHub.",
            "John Doe invited the user email@example.com to the account.",
            "John Doe deleted a sandbox QA.",
            "John Doe created the field First Name.",
            "John Doe added a domain.");
        page.Rows.Select(r => r.Actor).Should().Equal("John Doe", "Someone", "John Doe", "John Doe", "John Doe", "John Doe");
        page.Rows.Select(r => r.Resource).Should().Equal("Logging", "John Doe", "email@example.com", "QA", "First Name", "");
        foreach (var row in page.Rows)
        {
            var at = DateTimeOffset.Parse(row.DateTime, System.Globalization.CultureInfo.InvariantCulture);
            row.DateTime.Should().EndWith("Z");
            row.DateText.Should().Be(at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", System.Globalization.CultureInfo.InvariantCulture),
                "the server's fallback text before the script shows the viewer's local time");
        }
    }

    [Fact]
    public async Task A_resource_named_like_markup_is_shown_as_text()
    {
        await using var app = await TestWebApp.StartAsync();
        Seed.Record(app, "acct-a", ActivityActor.User(5, "<b>Mallory</b>"), "activity_log.webhook.created",
            new ActivityResource("webhook", "x\"><script>", "<script>alert(1)</script>"));
        await app.FlushAsync();

        var page = new PageDocument(await (await app.GetAsync(Page + "?resource=webhook%3Ax%22%3E%3Cscript%3E", TestUser.John)).Content.ReadAsStringAsync());
        page.Rows.Should().ContainSingle();
        page.Rows[0].Resource.Should().Be("<script>alert(1)</script>");
        page.Rows[0].RawResource.Should().Be("&lt;script&gt;alert(1)&lt;/script&gt;");
        page.Rows[0].Actor.Should().Be("<b>Mallory</b>");
        page.Rows[0].Description.Should().Be("<b>Mallory</b> created the webhook <script>alert(1)</script>.");
        page.Html.Should().NotContain("<script>alert(1)").And.NotContain("<b>Mallory").And.NotContain("x\"><script>");
        page.Html.Should().Contain("value=\"webhook:x&quot;&gt;&lt;script&gt;\"", "the filter echoes what was typed, encoded");
    }

    [Fact]
    public async Task The_filters_narrow_the_rows_by_actor_resource_and_event()
    {
        await using var app = await TestWebApp.StartAsync();
        Seed.Record(app, "acct-a", Seed.John, "activity_log.user.updated", new ActivityResource("user", "783", "John Doe"));
        Seed.Record(app, "acct-a", Seed.Jane, "activity_log.webhook.removed", new ActivityResource("webhook", "wh_1", "Logging"),
            [new ActivityResource("sending_stream", "7", "Transactional")]);
        Seed.Record(app, "acct-a", Seed.John, "activity_log.webhook.created", new ActivityResource("webhook", "wh_2", "Billing"));
        await app.FlushAsync();

        async Task<IEnumerable<string>> Rows(string query) =>
            new PageDocument(await (await app.GetAsync(Page + query, TestUser.John)).Content.ReadAsStringAsync()).Rows.Select(r => r.Description);

        (await Rows("?actor=user%3A784")).Should().Equal("Jane Roe removed the webhook Logging from Transactional.");
        (await Rows("?resource=webhook")).Should().HaveCount(2);
        (await Rows("?resource=webhook%3Awh_2")).Should().Equal("John Doe created the webhook Billing.");
        (await Rows("?event=activity_log.user.*")).Should().Equal("John Doe updated the user John Doe.");
        (await Rows("?event=activity_log.user.updated%2C+activity_log.webhook.created&actor=user%3A783")).Should().HaveCount(2);

        var none = new PageDocument(await (await app.GetAsync(Page + "?event=activity_log.sandbox.*", TestUser.John)).Content.ReadAsStringAsync());
        none.Rows.Should().BeEmpty();
        none.IsEmptyState.Should().BeTrue();
        none.Html.Should().Contain("No activity matches these filters.");
    }

    [Fact]
    public async Task A_bad_filter_shows_the_readers_message_with_status_400()
    {
        await using var app = await TestWebApp.StartAsync();
        using var response = await app.GetAsync(Page + "?event=Not+An+Event%21", TestUser.John);
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var page = new PageDocument(await response.Content.ReadAsStringAsync());
        page.Error.Should().NotBeNullOrWhiteSpace().And.Contain("Not").And.NotContain("(Parameter");
        page.Html.Should().Contain("<form id=\"activity-log-filters\"", "the viewer can fix the filter in place");
    }

    [Fact]
    public async Task An_account_without_events_shows_the_empty_state()
    {
        await using var app = await TestWebApp.StartAsync();
        var page = new PageDocument(await (await app.GetAsync(Page, TestUser.John)).Content.ReadAsStringAsync());
        page.Rows.Should().BeEmpty();
        page.IsEmptyState.Should().BeTrue();
        page.Html.Should().Contain("No activity yet.");
        page.LoadMoreHref.Should().BeNull();
    }

    [Fact]
    public async Task Load_more_is_a_plain_link_that_keeps_the_filters_and_walks_every_page()
    {
        await using var app = await TestWebApp.StartAsync(new TestWebAppOptions { Endpoints = o => o.PageSize = 4 });
        for (int i = 0; i < 10; i++)
        {
            Seed.Record(app, "acct-a", Seed.John, "activity_log.domain.added", new ActivityResource("domain", $"d{i}", $"d{i}.example"));
            Seed.Record(app, "acct-a", Seed.Jane, "activity_log.user.updated", new ActivityResource("user", "784", "Jane Roe"));
        }

        await app.FlushAsync();
        var resources = new List<string>();
        string? url = Page + "?event=activity_log.domain.*&actor=user:783";
        int pages = 0;
        while (url is not null && pages < 10)
        {
            using var response = await app.GetAsync(url, TestUser.John);
            response.StatusCode.Should().Be(HttpStatusCode.OK);
            var page = new PageDocument(await response.Content.ReadAsStringAsync());
            page.Rows.Should().HaveCountLessThanOrEqualTo(4);
            resources.AddRange(page.Rows.Select(r => r.Resource));
            pages++;
            if (page.LoadMoreHref is { } href)
            {
                href.Should().StartWith("?").And.Contain("cursor=").And.Contain("event=activity_log.domain.").And.Contain("actor=user%3A783");
                url = Page + href;
            }
            else
            {
                url = null;
            }
        }

        pages.Should().Be(3);
        resources.Should().Equal(Enumerable.Range(0, 10).Reverse().Select(i => $"d{i}.example"));
    }

    [Fact]
    public async Task The_page_has_the_hosts_title()
    {
        await using var app = await TestWebApp.StartAsync(new TestWebAppOptions { Endpoints = o => o.Title = "Audit & history" });
        string html = await (await app.GetAsync(Page, TestUser.John)).Content.ReadAsStringAsync();
        html.Should().Contain("<title>Audit &amp; history</title>").And.Contain("<h1>Audit &amp; history</h1>");
    }
}
