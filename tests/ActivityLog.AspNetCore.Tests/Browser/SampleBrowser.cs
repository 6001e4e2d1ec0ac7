using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ActivityLog.AspNetCore.Tests.Browser;

/// <summary>
/// A person clicking through the web sample in one browser context (its own cookies): the sign-in page, the home
/// page's buttons, and the Activity Log page through its markup contract (<c>#activity-log</c>, <c>tr.activity</c>,
/// <c>td.description</c>, <c>#activity-log-filters</c>, <c>#load-more</c>, <c>#activity-log-empty</c>).
/// </summary>
public sealed class SampleBrowser : IAsyncDisposable
{
    public const string ActivityLogPath = "/settings/activity-log";

    /// <summary>What <see cref="RecordSeedActivitiesAsync"/> shows on John Doe's page, newest first.</summary>
    public static readonly IReadOnlyList<string> SeedSentencesNewestFirst =
    [
        "John Doe updated the user profile.",
        "John Doe removed the webhook Logging from Transactional.",
        "John Doe invited the user email@example.com to the account.",
        "John Doe deleted a sandbox QA.",
        "John Doe created the field First Name.",
        "John Doe added a domain.",
        "Someone attempted to log in to the user John Doe using GitHub.",
    ];

    private readonly IBrowserContext _context;

    private SampleBrowser(IBrowserContext context, IPage page)
    {
        _context = context;
        Page = page;
        Page.Dialog += (_, dialog) =>
        {
            Dialogs.Add(dialog.Message);
            _ = dialog.DismissAsync();
        };
    }

    public IPage Page { get; }

    /// <summary>Every JavaScript dialog (alert, confirm, prompt) the pages opened: an injected script would show here.</summary>
    public List<string> Dialogs { get; } = [];

    public static async Task<SampleBrowser> OpenAsync(ChromiumFixture chromium, SampleAppFactory app)
    {
        var context = await chromium.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = app.BaseAddress.ToString(),
            Locale = "en-US",
            TimezoneId = "UTC",
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
        });
        context.SetDefaultTimeout((float)ChromiumFixture.Timeout.TotalMilliseconds);
        context.SetDefaultNavigationTimeout((float)ChromiumFixture.Timeout.TotalMilliseconds);
        return new SampleBrowser(context, await context.NewPageAsync());
    }

    /// <summary>Tries "Sign in with GitHub" as the user, which the demo always refuses (and records).</summary>
    public async Task FailGitHubSignInAsync(long userId)
    {
        await Page.GotoAsync("/sign-in");
        await Page.SelectOptionAsync("#user", userId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Page.ClickAsync("#sign-in-github");
        await Expect(Page.Locator("#sign-in-error")).ToContainTextAsync("GitHub sign-in is not configured");
    }

    public async Task SignInAsync(long userId, string expectedName)
    {
        await Page.GotoAsync("/sign-in");
        await SubmitSignInFormAsync(userId);
        await Expect(Page.Locator("#current-user")).ToContainTextAsync(expectedName);
    }

    /// <summary>Fills and submits the sign-in form of the current page (which may carry a return URL).</summary>
    public async Task SubmitSignInFormAsync(long userId)
    {
        await Page.SelectOptionAsync("#user", userId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Page.FillAsync("#password", "demo");
        await Page.ClickAsync("#sign-in");
        await Expect(Page).Not.ToHaveURLAsync(new Regex("/sign-in"));
    }

    public async Task SignOutAsync()
    {
        await Page.GotoAsync("/");
        await Page.ClickAsync("#sign-out");
        await Expect(Page.Locator("#sign-in-link")).ToBeVisibleAsync();
    }

    /// <summary>Clicks a home-page button (after filling its form's fields) and waits for the "Recorded" page.</summary>
    public async Task RecordAsync(string buttonId, string recorded, params (string Selector, string Value)[] fields)
    {
        await Page.GotoAsync("/");

        foreach (var (selector, value) in fields)
        {
            await Page.FillAsync(selector, value);
        }

        await Page.ClickAsync("#" + buttonId);
        await Expect(Page).ToHaveURLAsync(new Regex(Regex.Escape("/?recorded=" + recorded) + "$"));
        await Expect(Page.Locator("#recorded")).ToContainTextAsync(recorded);
    }

    /// <summary>
    /// The seed's six activities and the profile update, through the sample's own pages: a failed GitHub sign-in
    /// while signed out, then signed in as John Doe, one click per activity.
    /// </summary>
    public async Task RecordSeedActivitiesAsync()
    {
        await FailGitHubSignInAsync(1);
        await SignInAsync(1, "John Doe");
        await RecordAsync("add-domain", "domain-added");
        await RecordAsync("create-field", "field-created", ("#field-name", "First Name"));
        await RecordAsync("delete-sandbox", "sandbox-deleted", ("#sandbox-name", "QA"));
        await RecordAsync("invite-user", "user-invited", ("#invite-email", "email@example.com"));
        await RecordAsync("remove-webhook", "webhook-removed");
        await RecordAsync("update-profile", "profile-updated", ("#profile-name", "Johnny Doe"));
    }

    public async Task OpenActivityLogAsync(string query = "")
    {
        var response = await Page.GotoAsync(ActivityLogPath + query);
        response.Should().NotBeNull();
        response!.Status.Should().Be(200);
        await Expect(Page.Locator("#activity-log, #activity-log-empty").First).ToBeVisibleAsync();
    }

    /// <summary>The Description cells of the rows on the page, top to bottom.</summary>
    public async Task<IReadOnlyList<string>> SentencesAsync() =>
        [.. (await Page.Locator("#activity-log tr.activity td.description").AllInnerTextsAsync()).Select(s => s.Trim())];

    /// <summary>
    /// Submits the page's filter form with these values, the others reset: the free text, a date range preset
    /// (<c>24h</c>, <c>7d</c>, <c>30d</c>), an actor chosen by its name in the list, a resource type, a resource name
    /// and an event type (a name or <c>prefix.*</c> from the list).
    /// </summary>
    public async Task FilterAsync(
        string? search = null, string? range = null, string? actorName = null, string? resourceType = null, string? resourceName = null, string? eventName = null)
    {
        var form = Page.Locator("#activity-log-filters");
        await form.Locator("[name=q]").FillAsync(search ?? "");
        await form.Locator("select[name=range]").SelectOptionAsync(range ?? "");
        if (actorName is null)
        {
            await form.Locator("select[name=actor]").SelectOptionAsync("");
        }
        else
        {
            await form.Locator("select[name=actor]").SelectOptionAsync(new SelectOptionValue { Label = actorName });
        }

        await form.Locator("select[name=resource_type]").SelectOptionAsync(resourceType ?? "");
        await form.Locator("[name=resource_name]").FillAsync(resourceName ?? "");
        await form.Locator("select[name=event]").SelectOptionAsync(eventName ?? "");
        await ClickAndWaitForNextDocumentAsync(form.Locator("[type=submit]").First);
        await Expect(Page.Locator("#activity-log, #activity-log-empty").First).ToBeVisibleAsync();
    }

    /// <summary>Changes the Transactional stream's settings on the home page (its history then has one more state).</summary>
    public Task UpdateStreamAsync(int retentionDays, string tags) =>
        RecordAsync("update-stream", "stream-updated", ("#stream-retention", retentionDays.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("#stream-tags", tags));

    /// <summary>
    /// Clicks "Load more" and returns the rows it added. Without JavaScript the link opens the next page (its rows are
    /// the new ones); with JavaScript the page may append the rows in place (the rows after the old ones are new).
    /// </summary>
    public async Task<IReadOnlyList<string>> LoadMoreAsync()
    {
        var rows = Page.Locator("#activity-log tr.activity");
        int before = await rows.CountAsync();
        await Page.EvaluateAsync("() => { window.__activityLogTestDocument = true; }");
        await Page.ClickAsync("#load-more");
        await Page.WaitForFunctionAsync(
            "n => window.__activityLogTestDocument !== true || document.querySelectorAll('#activity-log tr.activity').length > n",
            before);
        await WaitForLoadStateAsync(LoadState.DOMContentLoaded);
        bool sameDocument = await Page.EvaluateAsync<bool>("() => window.__activityLogTestDocument === true");
        var sentences = await SentencesAsync();
        return sameDocument ? [.. sentences.Skip(before)] : sentences;
    }

    /// <summary>Clicks something that loads a new document (a form submit, a link) and waits until it has loaded.</summary>
    public async Task ClickAndWaitForNextDocumentAsync(ILocator target)
    {
        await Page.EvaluateAsync("() => { window.__activityLogTestDocument = true; }");
        await target.ClickAsync();
        await Page.WaitForFunctionAsync("() => window.__activityLogTestDocument !== true");
        await WaitForLoadStateAsync(LoadState.DOMContentLoaded);
    }

    /// <summary>
    /// Waits for a load state in short attempts. Microsoft.Playwright's own wait checks the state, then subscribes to
    /// its event; a state that arrives in between is lost and the wait runs into its timeout
    /// (microsoft/playwright-dotnet#3364, open). The state is still recorded, so the next attempt finds it at once.
    /// <c>WaitForURLAsync</c> has the same gap, so this class asserts addresses with <c>Expect(Page).ToHaveURLAsync</c>.
    /// </summary>
    private async Task WaitForLoadStateAsync(LoadState state)
    {
        var attempt = TimeSpan.FromSeconds(1);
        for (var waited = TimeSpan.Zero; ; waited += attempt)
        {
            try
            {
                await Page.WaitForLoadStateAsync(state, new() { Timeout = (float)attempt.TotalMilliseconds });
                return;
            }
            catch (TimeoutException) when (waited + attempt < ChromiumFixture.Timeout)
            {
            }
        }
    }

    public async ValueTask DisposeAsync() => await _context.DisposeAsync();
}
