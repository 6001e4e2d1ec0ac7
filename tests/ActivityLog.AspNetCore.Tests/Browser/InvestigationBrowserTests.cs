using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ActivityLog.AspNetCore.Tests.Browser;

/// <summary>
/// A security engineer investigating in the web sample, in real headless Chromium: an event's details, filters a
/// person can use (a date preset, an actor by name), free-text search, a resource's history and its state at a past
/// time, a shared link, another account kept out of all of it, the viewing itself recorded, and axe-core on each state.
/// </summary>
[Collection(ChromiumTestGroup.Name)]
public sealed class InvestigationBrowserTests(ChromiumFixture chromium)
{
    [Fact]
    public async Task Details_show_a_changes_from_and_to_nested_values_element_by_element_and_the_payload()
    {
        await using var app = new SampleAppFactory();
        await using var browser = await SampleBrowser.OpenAsync(chromium, app);
        await browser.RecordSeedActivitiesAsync();
        await browser.UpdateStreamAsync(30, "billing, eu");
        await browser.UpdateStreamAsync(60, "billing, us");
        await app.FlushAsync();
        await browser.OpenActivityLogAsync();

        // The newest row is the second settings change; its sentence opens the details.
        await browser.ClickAndWaitForNextDocumentAsync(browser.Page.Locator("#activity-log tr.activity td.description a").First);
        await Expect(browser.Page).ToHaveURLAsync(new Regex("/settings/activity-log/events/[0-9a-f-]{36}$"));
        var changes = browser.Page.Locator("#event-changes tr.change");
        (await ChangeRowsAsync(changes)).Should().Equal(
            ("retention_days", "30", "60"),
            ("settings.tags[1]", "eu", "us"));
        await Expect(browser.Page.Locator("#event-details")).ToContainTextAsync("Transactional");
        (await browser.Page.Locator("#event-payload").InnerTextAsync()).Should()
            .Contain("\"event\": \"activity_log.sending_stream.updated\"").And.Contain("\"retention_days\"");
        await AxeAsync(browser, "details");

        // The profile change was stored filtered: the details say so on both sides, and never show the name.
        await browser.OpenActivityLogAsync("?event=activity_log.user.updated");
        await browser.ClickAndWaitForNextDocumentAsync(browser.Page.Locator("#activity-log tr.activity td.description a").First);
        (await ChangeRowsAsync(changes)).Should().Equal(("name", "[FILTERED]", "[FILTERED]"));
        await Expect(browser.Page.Locator("#event-changes .filtered")).ToHaveCountAsync(2);
        (await browser.Page.ContentAsync()).Should().NotContain("Johnny");
        await Expect(browser.Page.Locator("#event-context")).ToContainTextAsync("HeadlessChrome");
    }

    [Fact]
    public async Task Last_7_days_and_an_actor_by_name_filter_the_rows_and_the_shared_link_reproduces_them()
    {
        await using var app = new SampleAppFactory();
        await using var browser = await SampleBrowser.OpenAsync(chromium, app);
        await browser.RecordSeedActivitiesAsync();
        await app.FlushAsync();
        await browser.OpenActivityLogAsync();
        await AxeAsync(browser, "list");

        // The actor list holds the account's actors by name, never a type:id to type.
        (await browser.Page.Locator("select[name=actor] option").AllInnerTextsAsync()).Should().Equal("Anyone", "John Doe");
        await browser.FilterAsync(range: "7d", actorName: "John Doe", eventName: "activity_log.user.*");
        (await browser.SentencesAsync()).Should().Equal("John Doe updated the user profile.", "John Doe invited the user email@example.com to the account.");
        browser.Page.Url.Should().Contain("range=7d").And.Contain("actor=user%3A1").And.Contain("tz=UTC");
        await AxeAsync(browser, "filtered");

        // A colleague's browser (its own cookies, signed in to the same account) opening the link sees the same rows and choices.
        string link = browser.Page.Url;
        await using var colleague = await SampleBrowser.OpenAsync(chromium, app);
        await colleague.SignInAsync(1, "John Doe");
        await colleague.Page.GotoAsync(link);
        (await colleague.SentencesAsync()).Should().Equal(await browser.SentencesAsync());
        await Expect(colleague.Page.Locator("select[name=range]")).ToHaveValueAsync("7d");
        await Expect(colleague.Page.Locator("select[name=actor]")).ToHaveValueAsync("user:1");

        // A custom range that ended yesterday holds nothing.
        string yesterday = DateTime.UtcNow.AddDays(-1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        await browser.OpenActivityLogAsync($"?range=custom&from=2020-01-01&to={yesterday}&tz=Europe/Oslo");
        await Expect(browser.Page.Locator("#activity-log-empty")).ToBeVisibleAsync();
        await Expect(browser.Page.Locator("#custom-range")).ToBeVisibleAsync();
        await AxeAsync(browser, "empty custom range");

        // A filter the viewer got wrong: 400, the field named in an alert, the form still there to correct it.
        var bad = await browser.Page.GotoAsync(SampleBrowser.ActivityLogPath + "?range=week");
        bad!.Status.Should().Be(400);
        await Expect(browser.Page.Locator("#activity-log-error")).ToContainTextAsync("'range'");
        await AxeAsync(browser, "error");
    }

    [Fact]
    public async Task Search_finds_the_one_event_whose_description_holds_the_word_and_load_more_keeps_the_filter()
    {
        await using var app = new SampleAppFactory(pageSize: 2);
        await using var browser = await SampleBrowser.OpenAsync(chromium, app);
        await browser.RecordSeedActivitiesAsync();
        await app.FlushAsync();
        await browser.OpenActivityLogAsync();

        await browser.FilterAsync(search: "logging");
        (await browser.SentencesAsync()).Should().Equal("John Doe removed the webhook Logging from Transactional.");
        await AxeAsync(browser, "search");

        // Words of several events, two per page: every match once, through Load more.
        await browser.FilterAsync(search: "user");
        var seen = new List<string>(await browser.SentencesAsync());
        while (await browser.Page.Locator("#load-more").CountAsync() > 0)
        {
            (await browser.Page.Locator("#load-more").GetAttributeAsync("href")).Should().Contain("q=user");
            seen.AddRange(await browser.LoadMoreAsync());
        }

        seen.Should().Equal(
            "John Doe updated the user profile.",
            "John Doe invited the user email@example.com to the account.",
            "Someone attempted to log in to the user John Doe using GitHub.");
    }

    [Fact]
    public async Task A_resources_history_runs_oldest_first_and_shows_its_state_at_a_past_time_and_the_difference()
    {
        await using var app = new SampleAppFactory();
        await using var browser = await SampleBrowser.OpenAsync(chromium, app);
        await browser.SignInAsync(1, "John Doe");
        await browser.UpdateStreamAsync(30, "billing");
        await browser.UpdateStreamAsync(45, "billing, eu");
        await browser.UpdateStreamAsync(60, "ops");
        await app.FlushAsync();
        await browser.OpenActivityLogAsync();

        await browser.ClickAndWaitForNextDocumentAsync(browser.Page.Locator("#activity-log tr.activity td.resource a").First);
        await Expect(browser.Page.Locator("#history-heading")).ToHaveTextAsync("History of Transactional");
        var rows = browser.Page.Locator("#resource-history tr.activity");
        (await rows.EvaluateAllAsync<string[]>("rs => rs.map(r => r.dataset.event)")).Should().Equal(
            "activity_log.sending_stream.created", "activity_log.sending_stream.updated", "activity_log.sending_stream.updated");

        // The state after the second change: what the stream was then, not now.
        await browser.ClickAndWaitForNextDocumentAsync(rows.Nth(1).Locator("a.state-link"));
        (await StateAsync(browser)).Should().Equal(("retention_days", "45"), ("settings.tags[0]", "billing"), ("settings.tags[1]", "eu"));
        await AxeAsync(browser, "state");

        // Compared with the first state: the differing fields, element by element.
        string first = (await rows.Nth(0).Locator("time").GetAttributeAsync("datetime"))!;
        string third = (await rows.Nth(2).Locator("time").GetAttributeAsync("datetime"))!;
        await browser.Page.GotoAsync($"{SampleBrowser.ActivityLogPath}/history?resource_type=sending_stream&resource_id=ss_transactional&at={first}&compare={third}");
        (await ChangeRowsAsync(browser.Page.Locator("#resource-diff tr.change"))).Should().Equal(
            ("retention_days", "30", "60"),
            ("settings.tags[0]", "billing", "ops"));
        await AxeAsync(browser, "difference");

        // Before anything was recorded, nothing is known.
        await browser.Page.GotoAsync($"{SampleBrowser.ActivityLogPath}/history?resource_type=sending_stream&resource_id=ss_transactional&at=2020-01-01T00:00");
        await Expect(browser.Page.Locator("#resource-state-note")).ToContainTextAsync("Nothing was recorded");
    }

    [Fact]
    public async Task Another_account_never_sees_the_first_accounts_actors_matches_history_or_details_even_by_tampered_ids()
    {
        await using var app = new SampleAppFactory();
        await using var browser = await SampleBrowser.OpenAsync(chromium, app);
        await browser.RecordSeedActivitiesAsync();
        await browser.UpdateStreamAsync(30, "billing");
        await app.FlushAsync();
        await browser.OpenActivityLogAsync();
        string eventId = (await browser.Page.Locator("#activity-log tr.activity").First.GetAttributeAsync("data-id"))!;
        await browser.SignOutAsync();

        await browser.SignInAsync(2, "Jane Roe");
        await browser.RecordAsync("delete-sandbox", "sandbox-deleted", ("#sandbox-name", "Staging"));
        await app.FlushAsync();
        await browser.OpenActivityLogAsync("?q=logging&account_id=acme");
        await Expect(browser.Page.Locator("#activity-log tr.activity")).ToHaveCountAsync(0);
        (await browser.Page.Locator("select[name=actor] option").AllInnerTextsAsync()).Should().Equal("Anyone", "Jane Roe");
        (await browser.Page.Locator("select[name=event] option").AllInnerTextsAsync()).Should().NotContain(o => o.Contains("Webhook", StringComparison.OrdinalIgnoreCase));

        var details = await browser.Page.GotoAsync($"{SampleBrowser.ActivityLogPath}/events/{eventId}");
        details!.Status.Should().Be(404);
        await Expect(browser.Page.Locator("#event-not-found")).ToBeVisibleAsync();
        (await browser.Page.ContentAsync()).Should().NotContain("John Doe").And.NotContain("Transactional\"");
        await AxeAsync(browser, "not found");

        await browser.Page.GotoAsync($"{SampleBrowser.ActivityLogPath}/history?resource_type=sending_stream&resource_id=ss_transactional&at={DateTime.UtcNow.AddMinutes(1):yyyy-MM-ddTHH:mm:ssZ}");
        await Expect(browser.Page.Locator("#resource-history tr.activity")).ToHaveCountAsync(0);
        await Expect(browser.Page.Locator("#resource-state-note")).ToContainTextAsync("Nothing was recorded");
        (await browser.Page.ContentAsync()).Should().NotContain("billing").And.NotContain("John Doe");
    }

    [Fact]
    public async Task Looking_at_the_log_is_recorded_in_it_once_per_view_and_each_export_too()
    {
        await using var app = new SampleAppFactory(recordViews: true);
        await using var browser = await SampleBrowser.OpenAsync(chromium, app);
        await browser.SignInAsync(1, "John Doe");
        await browser.RecordAsync("add-domain", "domain-added");
        await app.FlushAsync();

        await browser.OpenActivityLogAsync("?range=7d");
        await browser.OpenActivityLogAsync("?range=7d");   // a reload within the window: coalesced
        var export = await browser.Page.APIRequest.GetAsync(SampleBrowser.ActivityLogPath + "/api/export?format=csv&event=activity_log.domain.added");
        export.Status.Should().Be(200);
        await app.FlushAsync();

        await browser.OpenActivityLogAsync("?event=activity_log.activity_log.*");
        (await browser.SentencesAsync()).Should().Equal("John Doe exported the activity log.", "John Doe viewed the activity log.");
        await browser.ClickAndWaitForNextDocumentAsync(browser.Page.Locator("#activity-log tr.activity td.description a").Last);
        var metadata = browser.Page.Locator("#event-metadata");
        await Expect(metadata).ToContainTextAsync("range");
        await Expect(metadata).ToContainTextAsync("7d");
        await Expect(metadata).ToContainTextAsync("page");
    }

    [Fact]
    public async Task The_page_is_usable_at_360_pixels_in_dark_mode_by_keyboard()
    {
        await using var app = new SampleAppFactory();
        await using var browser = await SampleBrowser.OpenAsync(chromium, app);
        await browser.RecordSeedActivitiesAsync();
        await app.FlushAsync();
        await browser.Page.SetViewportSizeAsync(360, 740);
        await browser.Page.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Dark });
        await browser.OpenActivityLogAsync();

        (await browser.Page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= 360")).Should().BeTrue("nothing scrolls sideways at 360 px");
        (await browser.Page.EvaluateAsync<string>("() => getComputedStyle(document.body).backgroundColor")).Should().Be("rgb(13, 17, 23)");
        await AxeAsync(browser, "narrow dark");

        // Tab reaches the search field first, and a focused link shows its outline.
        await browser.Page.Keyboard.PressAsync("Tab");
        (await browser.Page.EvaluateAsync<string>("() => document.activeElement.name")).Should().Be("q");
        await browser.Page.Locator("#activity-log tr.activity td.description a").First.FocusAsync();
        (await browser.Page.EvaluateAsync<string>("() => getComputedStyle(document.activeElement).outlineStyle")).Should().Be("solid");
        await browser.Page.Keyboard.PressAsync("Enter");
        await Expect(browser.Page.Locator("#event-details")).ToBeVisibleAsync();
        (await browser.Page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= 360")).Should().BeTrue();
        await AxeAsync(browser, "narrow dark details");
    }

    private static async Task<List<(string Field, string From, string To)>> ChangeRowsAsync(ILocator rows)
    {
        var result = new List<(string, string, string)>();
        for (int i = 0; i < await rows.CountAsync(); i++)
        {
            var row = rows.Nth(i);
            result.Add(((await row.Locator(".field").InnerTextAsync()).Trim(), (await row.Locator(".from").InnerTextAsync()).Trim(), (await row.Locator(".to").InnerTextAsync()).Trim()));
        }

        return result;
    }

    private static async Task<List<(string Field, string Value)>> StateAsync(SampleBrowser browser)
    {
        var rows = browser.Page.Locator("#resource-state tr.field");
        var result = new List<(string, string)>();
        for (int i = 0; i < await rows.CountAsync(); i++)
        {
            result.Add(((await rows.Nth(i).Locator("th").InnerTextAsync()).Trim(), (await rows.Nth(i).Locator("td.value").InnerTextAsync()).Trim()));
        }

        return result;
    }

    /// <summary>axe-core on the page as it is: no serious or critical violation.</summary>
    private static async Task AxeAsync(SampleBrowser browser, string state)
    {
        var result = await Deque.AxeCore.Playwright.PageExtensions.RunAxe(browser.Page);
        var blocking = result.Violations.Where(v => v.Impact is "serious" or "critical")
            .Select(v => $"{v.Id} ({v.Impact}): {v.Help} at {string.Join(", ", v.Nodes.Select(n => n.Target?.ToString()))}")
            .ToList();
        blocking.Should().BeEmpty("the {0} state must pass axe-core", state);
        result.Passes.Should().NotBeEmpty("axe-core ran its rules on the {0} state", state);
    }
}
