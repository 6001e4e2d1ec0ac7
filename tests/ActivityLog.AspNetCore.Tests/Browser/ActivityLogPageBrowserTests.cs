using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ActivityLog.AspNetCore.Tests.Browser;

/// <summary>
/// The web sample in real headless Chromium: a person signs in, records activities by clicking the sample's own
/// buttons, and reads them on the Activity Log page (sentences, filters, load more, encoding, accounts).
/// </summary>
[Collection(ChromiumTestGroup.Name)]
public sealed class ActivityLogPageBrowserTests(ChromiumFixture chromium)
{
    [Fact]
    public async Task Signed_in_user_sees_the_seed_sentences_newest_first_and_a_screenshot_is_saved()
    {
        await using var app = new SampleAppFactory();
        await using var browser = await SampleBrowser.OpenAsync(chromium, app);
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);

        await browser.RecordSeedActivitiesAsync();
        await app.FlushAsync();
        await browser.OpenActivityLogAsync();

        (await browser.SentencesAsync()).Should().Equal(SampleBrowser.SeedSentencesNewestFirst);
        var rows = browser.Page.Locator("#activity-log tr.activity");
        (await rows.Locator("td.actor").AllInnerTextsAsync()).Select(s => s.Trim()).Should()
            .Equal([.. Enumerable.Repeat("John Doe", 6), "Someone"]);
        (await rows.Nth(1).Locator("td.resource").InnerTextAsync()).Should().Contain("Logging");
        (await rows.Nth(4).Locator("td.resource").InnerTextAsync()).Should().Contain("First Name");
        foreach (string? datetime in await rows.Locator("td.date time").EvaluateAllAsync<string?[]>("ts => ts.map(t => t.getAttribute('datetime'))"))
        {
            DateTimeOffset.Parse(datetime!, CultureInfo.InvariantCulture).Should().BeOnOrAfter(before.AddSeconds(-1)).And.BeOnOrBefore(DateTimeOffset.UtcNow.AddSeconds(1));
        }

        await Expect(browser.Page.Locator("#load-more")).ToHaveCountAsync(0);
        await Expect(browser.Page.Locator("#activity-log-empty")).ToHaveCountAsync(0);

        // The profile's name change was stored filtered (appsettings.json: user → name), as the JSON API shows.
        var api = await browser.Page.APIRequest.GetAsync(SampleBrowser.ActivityLogPath + "/api/events?event=activity_log.user.updated");
        api.Status.Should().Be(200);
        (await api.TextAsync()).Should().Contain("\"changes\":{\"name\":{\"to\":\"[FILTERED]\",\"from\":\"[FILTERED]\"}}")
            .And.NotContain("Johnny");

        string screenshot = ScreenshotPath("activity-log.png");
        await browser.Page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });
        new FileInfo(screenshot).Length.Should().BeGreaterThan(1_000, "the screenshot {0} holds the rendered page", screenshot);
        browser.Dialogs.Should().BeEmpty();
    }

    [Fact]
    public async Task Filters_by_event_resource_and_actor_narrow_the_rows()
    {
        await using var app = new SampleAppFactory();
        await using var browser = await SampleBrowser.OpenAsync(chromium, app);
        await browser.RecordSeedActivitiesAsync();
        await app.FlushAsync();
        await browser.OpenActivityLogAsync();

        await browser.FilterAsync(eventName: "activity_log.user.*");
        (await browser.SentencesAsync()).Should().Equal(
            "John Doe updated the user profile.",
            "John Doe invited the user email@example.com to the account.",
            "Someone attempted to log in to the user John Doe using GitHub.");
        browser.Page.Url.Should().Contain("event=activity_log.user.");

        await browser.FilterAsync(eventName: "activity_log.sandbox.deleted");
        (await browser.SentencesAsync()).Should().Equal("John Doe deleted a sandbox QA.");

        await browser.FilterAsync(resourceType: "webhook", resourceName: "logg");
        (await browser.SentencesAsync()).Should().Equal("John Doe removed the webhook Logging from Transactional.");

        await browser.FilterAsync(resourceType: "field");
        (await browser.SentencesAsync()).Should().Equal("John Doe created the field First Name.");

        await browser.FilterAsync(actorName: "John Doe");
        (await browser.SentencesAsync()).Should().Equal(SampleBrowser.SeedSentencesNewestFirst.Take(6));
        browser.Page.Url.Should().Contain("actor=user%3A1");

        await browser.FilterAsync(resourceType: "domain", eventName: "activity_log.sandbox.deleted");
        await Expect(browser.Page.Locator("#activity-log tr.activity")).ToHaveCountAsync(0);
        await Expect(browser.Page.Locator("#activity-log-empty")).ToBeVisibleAsync();

        await browser.FilterAsync();
        (await browser.SentencesAsync()).Should().Equal(SampleBrowser.SeedSentencesNewestFirst);
    }

    [Fact]
    public async Task Load_more_pages_through_every_event_once()
    {
        await using var app = new SampleAppFactory(pageSize: 3);
        await using var browser = await SampleBrowser.OpenAsync(chromium, app);
        await browser.RecordSeedActivitiesAsync();
        await app.FlushAsync();
        await browser.OpenActivityLogAsync();

        var seen = new List<string>(await browser.SentencesAsync());
        seen.Should().Equal(SampleBrowser.SeedSentencesNewestFirst.Take(3));
        int clicks = 0;
        while (await browser.Page.Locator("#load-more").CountAsync() > 0)
        {
            clicks++;
            clicks.Should().BeLessThan(5, "seven events in pages of three need two more pages");
            (await browser.Page.Locator("#load-more").GetAttributeAsync("href")).Should().Contain("cursor=");
            seen.AddRange(await browser.LoadMoreAsync());
        }

        clicks.Should().Be(2);
        seen.Should().Equal(SampleBrowser.SeedSentencesNewestFirst);
    }

    [Fact]
    public async Task A_script_resource_name_renders_as_text()
    {
        await using var app = new SampleAppFactory();
        await using var browser = await SampleBrowser.OpenAsync(chromium, app);
        const string script = "<script>alert(1)</script>";
        const string image = "<img src=x onerror=alert(2)>";
        await browser.SignInAsync(1, "John Doe");
        await browser.RecordAsync("create-field", "field-created", ("#field-name", script));
        await browser.RecordAsync("create-field", "field-created", ("#field-name", image));
        await app.FlushAsync();
        await browser.OpenActivityLogAsync();

        (await browser.SentencesAsync()).Should().Equal(
            $"John Doe created the field {image}.",
            $"John Doe created the field {script}.");
        await Expect(browser.Page.GetByText(script, new() { Exact = false }).First).ToBeVisibleAsync();
        (await browser.Page.Locator("#activity-log tr.activity td.resource").AllInnerTextsAsync())
            .Should().Contain(s => s.Contains(script, StringComparison.Ordinal));
        await Expect(browser.Page.Locator("#activity-log script")).ToHaveCountAsync(0);
        await Expect(browser.Page.Locator("#activity-log img")).ToHaveCountAsync(0);
        (await browser.Page.EvaluateAsync<int>("() => document.querySelectorAll('img[src=x]').length")).Should().Be(0);
        browser.Dialogs.Should().BeEmpty("no injected script may run");
    }

    [Fact]
    public async Task A_user_of_another_account_sees_none_of_the_first_users_rows()
    {
        await using var app = new SampleAppFactory();
        await using var browser = await SampleBrowser.OpenAsync(chromium, app);
        await browser.RecordSeedActivitiesAsync();
        await browser.SignOutAsync();

        await browser.SignInAsync(2, "Jane Roe");
        await app.FlushAsync();
        await browser.OpenActivityLogAsync("?actor=user:1&account_id=acme&account=acme");
        await Expect(browser.Page.Locator("#activity-log tr.activity")).ToHaveCountAsync(0);
        await Expect(browser.Page.Locator("#activity-log-empty")).ToBeVisibleAsync();

        await browser.RecordAsync("delete-sandbox", "sandbox-deleted", ("#sandbox-name", "Staging"));
        await app.FlushAsync();
        await browser.OpenActivityLogAsync();
        (await browser.SentencesAsync()).Should().Equal("Jane Roe deleted a sandbox Staging.");
        (await browser.Page.ContentAsync()).Should().NotContain("John Doe");
    }

    [Fact]
    public async Task A_signed_out_visitor_is_sent_to_the_sign_in_page()
    {
        await using var app = new SampleAppFactory();
        await using var browser = await SampleBrowser.OpenAsync(chromium, app);

        await browser.Page.GotoAsync(SampleBrowser.ActivityLogPath);

        browser.Page.Url.Should().Contain("/sign-in?ReturnUrl=");
        await Expect(browser.Page.Locator("#sign-in-form")).ToBeVisibleAsync();
        await Expect(browser.Page.Locator("#activity-log")).ToHaveCountAsync(0);
        await browser.SubmitSignInFormAsync(1);
        await Expect(browser.Page).ToHaveURLAsync(new Regex(Regex.Escape(SampleBrowser.ActivityLogPath) + "$"));
        await Expect(browser.Page.Locator("#activity-log-empty")).ToBeVisibleAsync();
    }

    /// <summary>
    /// Screenshots go to the repository's TestResults/screenshots (the folder scripts/test.sh collects results in),
    /// or next to the test assembly when the tests run outside the repository.
    /// </summary>
    private static string ScreenshotPath(string name)
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "ActivityLog.sln")))
        {
            directory = directory.Parent;
        }

        string folder = directory is null
            ? Path.Combine(AppContext.BaseDirectory, "screenshots")
            : Path.Combine(directory.FullName, "TestResults", "screenshots");
        Directory.CreateDirectory(folder);
        return Path.Combine(folder, name);
    }
}
