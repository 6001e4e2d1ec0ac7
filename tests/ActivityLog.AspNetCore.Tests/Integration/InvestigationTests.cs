using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using ActivityLog.AspNetCore.Tests.Support;

namespace ActivityLog.AspNetCore.Tests.Integration;

/// <summary>
/// The investigation views over HTTP: details and history confined to the caller's account (tampered ids included),
/// bad input answered with the field named, viewing recorded once per view and every export, and the page's words
/// in the viewer's culture.
/// </summary>
public sealed class InvestigationTests
{
    private const string Page = "/settings/activity-log";

    [Fact]
    public async Task Details_of_another_accounts_event_or_a_malformed_id_answer_404_and_show_nothing_of_it()
    {
        await using var app = await TestWebApp.StartAsync();
        Seed.Record(app, "acct-b", Seed.Jane, "activity_log.webhook.removed", new ActivityResource("webhook", "wh_b", "Secret hook"));
        await app.FlushAsync();
        var janes = await ApiJson.ReadPageAsync(await app.GetAsync(Page + "/api/events", TestUser.Jane));
        string id = janes.Ids.Single();

        var own = await app.GetAsync($"{Page}/events/{id}", TestUser.Jane);
        own.StatusCode.Should().Be(HttpStatusCode.OK);
        (await own.Content.ReadAsStringAsync()).Should().Contain("Secret hook");

        foreach (string tampered in new[] { id, id.ToUpperInvariant(), id + "x", "../api/events", Guid.NewGuid().ToString() })
        {
            var response = await app.GetAsync($"{Page}/events/{Uri.EscapeDataString(tampered)}?account_id=acct-b", TestUser.John);
            response.StatusCode.Should().Be(HttpStatusCode.NotFound, tampered);
            string html = await response.Content.ReadAsStringAsync();
            html.Should().Contain("id=\"event-not-found\"").And.NotContain("Secret hook").And.NotContain("Jane Roe");
        }

        var history = await app.GetAsync($"{Page}/history?resource_type=webhook&resource_id=wh_b&at=2030-01-01", TestUser.John);
        history.StatusCode.Should().Be(HttpStatusCode.OK);
        (await history.Content.ReadAsStringAsync()).Should().NotContain("Secret hook").And.Contain("Nothing was recorded");
    }

    [Fact]
    public async Task Bad_history_and_filter_input_is_a_400_naming_the_field()
    {
        await using var app = await TestWebApp.StartAsync();
        (string Url, string Field)[] cases =
        [
            ($"{Page}/history?resource_id=x", "resource_type"),
            ($"{Page}/history?resource_type=webhook&resource_id=x&at=yesterday", "'at'"),
            ($"{Page}?range=week", "'range'"),
            ($"{Page}?range=custom&from=2026-02-30", "'from'"),
            ($"{Page}?range=custom&from=2026-02-01&tz=Mars/Olympus", "'tz'"),
            ($"{Page}?range=custom&from=2026-03-01&to=2026-02-01", "'from'"),
            ($"{Page}?q=" + new string('a', 201), "Search"),
        ];
        foreach (var (url, field) in cases)
        {
            var response = await app.GetAsync(url, TestUser.John);
            response.StatusCode.Should().Be(HttpStatusCode.BadRequest, url);
            new PageDocument(await response.Content.ReadAsStringAsync()).Error.Should().Contain(field, url);
        }
    }

    [Fact]
    public async Task Viewing_is_recorded_once_per_view_and_filters_paging_is_not_and_every_export_is()
    {
        await using var app = await TestWebApp.StartAsync(new TestWebAppOptions { Endpoints = e => { e.RecordViews = true; e.PageSize = 1; } });
        Seed.Record(app, "acct-a", Seed.John, "activity_log.domain.added", new ActivityResource("domain", "d1", "a.example"));
        Seed.Record(app, "acct-a", Seed.John, "activity_log.domain.added", new ActivityResource("domain", "d2", "b.example"));
        await app.FlushAsync();

        var first = new PageDocument(await (await app.GetAsync(Page + "?event=activity_log.domain.added", TestUser.John)).Content.ReadAsStringAsync());
        await app.GetAsync(Page + "?event=activity_log.domain.added", TestUser.John);           // again within the window
        await app.GetAsync(Page + first.LoadMoreHref, TestUser.John);                             // the next page
        await app.GetAsync(Page + "?event=activity_log.domain.*", TestUser.John);                  // other filters: a view of its own
        await app.GetAsync(Page + "/api/export?format=jsonl", TestUser.John);
        await app.GetAsync(Page + "/api/export?format=jsonl", TestUser.John);
        await app.FlushAsync();

        var views = await ApiJson.ReadPageAsync(await app.GetAsync(Page + "/api/events?event=activity_log.activity_log.*&page_size=50", TestUser.John));
        views.Names.Should().Equal(
            "activity_log.activity_log.exported", "activity_log.activity_log.exported", "activity_log.activity_log.viewed", "activity_log.activity_log.viewed");
        var oldest = views.Events[^1];
        oldest.GetProperty("actor").GetProperty("name").GetString().Should().Be("John Doe");
        oldest.GetProperty("description").GetString().Should().Be("viewed the activity log");

        // Jane's log holds her own viewing (her first API page, flushed) and none of John's.
        await app.GetAsync(Page + "/api/events?event=activity_log.activity_log.*", TestUser.Jane);
        await app.FlushAsync();
        var janes = await ApiJson.ReadPageAsync(await app.GetAsync(Page + "/api/events?event=activity_log.activity_log.*", TestUser.Jane));
        janes.Events.Should().NotBeEmpty().And.OnlyContain(e => e.GetProperty("actor").GetProperty("name").GetString() == "Jane Roe");
    }

    [Fact]
    public async Task The_pages_words_follow_the_viewers_culture_with_the_parent_culture_as_fallback()
    {
        var french = new ActivityLogPageTexts { Language = "fr", Actor = "Acteur", Date = "Date", Search = "Recherche", LoadMore = "Voir plus" };
        await using var app = await TestWebApp.StartAsync(new TestWebAppOptions
        {
            Endpoints = e => e.Cultures["fr"] = french,
            // The host's own localization middleware sets the request's UI culture from Accept-Language.
            Map = web => web.UseRequestLocalization(o =>
            {
                o.SupportedUICultures = [CultureInfo.GetCultureInfo("en"), CultureInfo.GetCultureInfo("fr-CA")];
                o.SupportedCultures = o.SupportedUICultures;
                o.SetDefaultCulture("en");
            }),
        });
        Seed.Record(app, "acct-a", Seed.John, "activity_log.domain.added", new ActivityResource("domain", "d1", "a.example"));
        await app.FlushAsync();

        string html = await (await app.GetAsync(Page, TestUser.John, r => r.Headers.AcceptLanguage.ParseAdd("fr-CA"))).Content.ReadAsStringAsync();
        html.Should().Contain("<html lang=\"fr\">").And.Contain("<th scope=\"col\">Acteur</th>").And.Contain(">Recherche<");
        (await (await app.GetAsync(Page, TestUser.John)).Content.ReadAsStringAsync()).Should().Contain("<th scope=\"col\">Actor</th>");
    }
}
