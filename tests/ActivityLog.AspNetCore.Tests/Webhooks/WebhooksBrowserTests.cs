using System.Net;
using ActivityLog.AspNetCore.Tests.Browser;
using ActivityLog.AspNetCore.Tests.Support;
using ActivityLog.AspNetCore.Tests.Webhooks.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ActivityLog.AspNetCore.Tests.Webhooks;

/// <summary>
/// Settings → Webhooks in real headless Chromium: John Doe (acme) and Jane Roe (globex) each in their own browser
/// context (the test sign-in's identity headers; antiforgery cookies are the browser's own).
/// </summary>
[Collection(ChromiumTestGroup.Name)]
public sealed class WebhooksBrowserTests(ChromiumFixture chromium)
{
    /// <summary>A hang guard only: delivery crosses the queue, the SQLite outbox and the engine on a loaded 2-core machine.</summary>
    private static readonly TimeSpan DeliveryTimeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task John_creates_a_webhook_in_the_form_and_sees_signed_deliveries_while_Jane_sees_nothing_of_acme()
    {
        await using var receiver = await SigningReceiver.StartAsync();
        await using var app = await WebhooksTestApp.StartAsync(realWebhooks: true);
        await using var johnContext = await OpenAsync(app, WebhooksTestApp.John);
        await using var janeContext = await OpenAsync(app, WebhooksTestApp.Jane);
        var john = johnContext.Pages[0];
        var jane = janeContext.Pages[0];

        // John: Settings → Webhooks → Create New Webhook, the form, the secret shown once.
        await john.GotoAsync(WebhooksTestApp.Path);
        await Expect(john.Locator("#webhooks-empty")).ToBeVisibleAsync();
        await john.ClickAsync("#create-webhook");
        await john.FillAsync("#webhook-url", receiver.Url.ToString());
        await john.CheckAsync("input[name=format][value=json]");
        await john.CheckAsync("input[name=events_mode][value=all]");
        await john.FillAsync("#webhook-description", "Logging");
        await john.ClickAsync("#webhook-save");
        await Expect(john.Locator("#webhook-secret-warning")).ToContainTextAsync("shown only this once");
        string secret = (await john.Locator("#webhook-secret").InnerTextAsync()).Trim();
        secret.Should().StartWith("whsec_");
        receiver.Secret = secret;
        await john.ClickAsync("#webhook-details-link");
        string detailsUrl = john.Url;
        (await john.ContentAsync()).Should().NotContain(secret, "the secret is shown once, on the creation page only");

        // Both record by clicking; only acme's events may reach acme's receiver.
        await RecordAsync(john, "First Name");
        await RecordAsync(john, "Last Name");
        await RecordAsync(jane, "Globex private field");
        await app.FlushAsync();
        await receiver.WaitForAsync(r => r.Body.Contains("Last Name", StringComparison.Ordinal)).WaitAsync(DeliveryTimeout);
        await receiver.WaitForAsync(r => r.Body.Contains("First Name", StringComparison.Ordinal)).WaitAsync(DeliveryTimeout);

        // The details page lists the deliveries with the receiver's webhook-ids and its 204. Attempts are kept in the
        // background, so the page is reloaded until the last delivery is listed (bounded by the hang guard).
        string lastId = receiver.Received.Last(r => r.Body.Contains("Last Name", StringComparison.Ordinal)).WebhookId;
        var rows = john.Locator("#webhook-attempts tr.attempt.succeeded");
        using (var guard = new CancellationTokenSource(DeliveryTimeout))
        {
            while (true)
            {
                await john.GotoAsync(detailsUrl);
                if ((await rows.Locator("td.webhook-id").AllInnerTextsAsync()).Any(id => id.Trim() == lastId))
                {
                    break;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(250), guard.Token);
            }
        }

        var listedIds = (await rows.Locator("td.webhook-id").AllInnerTextsAsync()).Select(s => s.Trim()).ToList();
        var verifiedIds = receiver.Received.Where(r => r.OursVerified && r.StandardWebhooksVerified).Select(r => r.WebhookId).ToHashSet();
        listedIds.Should().NotBeEmpty().And.OnlyContain(id => verifiedIds.Contains(id), "every delivery the page calls successful reached the receiver, verified");
        (await rows.Locator("td.status").AllInnerTextsAsync()).Should().OnlyContain(s => s.Trim().StartsWith("204", StringComparison.Ordinal));
        (await john.Locator("#webhook-attempts td.duration").AllInnerTextsAsync()).Should().OnlyContain(s => s.Trim().EndsWith(" ms", StringComparison.Ordinal));

        // Every request that arrived, early ones included, verifies both ways with the secret John copied.
        foreach (var request in receiver.Received)
        {
            var headers = new Microsoft.AspNetCore.Http.HeaderDictionary(request.Headers.ToDictionary(h => h.Key, h => new Microsoft.Extensions.Primitives.StringValues(h.Value)));
            new ActivityLog.Webhooks.WebhookSignatureVerifier(secret).Verify(request.Body, headers).Should().BeTrue(request.WebhookId);
            SigningReceiver.VerifiesWithStandardWebhooks(secret, request.Body, headers).Should().BeTrue(request.WebhookId);
        }

        receiver.Received.Should().NotContain(r => r.Body.Contains("Globex", StringComparison.Ordinal), "globex's events never go to acme's webhook");
        receiver.VerifiedEvents().Select(e => e.Resource?.Name).Should().Contain(["First Name", "Last Name"]);

        // Jane (globex): no acme webhook by page, by API, or by acme's id in her URLs.
        await jane.GotoAsync(WebhooksTestApp.Path);
        await Expect(jane.Locator("#webhooks-empty")).ToBeVisibleAsync();
        (await jane.ContentAsync()).Should().NotContain("Logging").And.NotContain(receiver.Url.Host + ":" + receiver.Url.Port);
        var tampered = await jane.GotoAsync(detailsUrl);
        tampered!.Status.Should().Be((int)HttpStatusCode.NotFound);
        await Expect(jane.Locator("#webhook-not-found")).ToBeVisibleAsync();
        string id = detailsUrl[(detailsUrl.LastIndexOf('/') + 1)..];
        foreach (string path in new[] { $"/api/{id}", $"/api/{id}/attempts", $"/api/{id}/dead-letters" })
        {
            var api = await jane.APIRequest.GetAsync(WebhooksTestApp.Path + path);
            api.Status.Should().Be((int)HttpStatusCode.NotFound, path);
        }

        var janeList = await jane.APIRequest.GetAsync(WebhooksTestApp.Path + "/api");
        (await janeList.TextAsync()).Should().Be("{\"webhooks\":[]}");
        var janeLog = await jane.APIRequest.GetAsync("/settings/activity-log/api/events");
        (await janeLog.TextAsync()).Should().NotContain("Logging").And.Contain("Globex private field");
    }

    [Fact]
    public async Task A_script_description_is_shown_as_text_and_a_form_without_its_token_is_refused()
    {
        await using var receiver = await SigningReceiver.StartAsync();
        await using var app = await WebhooksTestApp.StartAsync(realWebhooks: true);
        var webhooks = app.Services.GetRequiredService<ActivityLog.Webhooks.IActivityWebhookSubscriptions>();
        await using var johnContext = await OpenAsync(app, WebhooksTestApp.John);
        var john = johnContext.Pages[0];
        var dialogs = new List<string>();
        john.Dialog += (_, dialog) =>
        {
            dialogs.Add(dialog.Message);
            _ = dialog.DismissAsync();
        };
        const string script = "<script>alert(1)</script><img src=x onerror=alert(2)>";

        await john.GotoAsync(WebhooksTestApp.Path + "/new");
        await john.FillAsync("#webhook-url", receiver.Url.ToString());
        await john.FillAsync("#webhook-description", script);
        await john.ClickAsync("#webhook-save");
        await Expect(john.Locator("#webhook-secret")).ToBeVisibleAsync();
        await john.GotoAsync(WebhooksTestApp.Path);
        await Expect(john.Locator("#webhooks tr.webhook td.description")).ToHaveTextAsync(script);
        await Expect(john.Locator("#webhooks script")).ToHaveCountAsync(0);
        await Expect(john.Locator("#webhooks img")).ToHaveCountAsync(0);
        await john.ClickAsync("#webhooks tr.webhook td.description a");
        await Expect(john.Locator("#webhook-title")).ToHaveTextAsync(script);

        // The same form with its antiforgery field removed: refused, nothing created.
        await john.GotoAsync(WebhooksTestApp.Path + "/new");
        await john.EvaluateAsync("() => document.querySelector('#webhook-form input[name=__RequestVerificationToken]').remove()");
        await john.FillAsync("#webhook-url", receiver.Url + "?forged");
        await john.FillAsync("#webhook-description", "Forged");
        await john.ClickAsync("#webhook-save");
        await Expect(john.Locator("#webhook-error")).ToBeVisibleAsync();
        (await webhooks.ListAsync("acme")).Should().ContainSingle().Which.Description.Should().Be(script);

        // A refused field is shown next to it in the browser too.
        await john.GotoAsync(WebhooksTestApp.Path + "/new");
        await john.FillAsync("#webhook-url", receiver.Url.ToString());
        await john.CheckAsync("input[name=events_mode][value=selected]");
        await john.FillAsync("#webhook-event-names", "activity_log.us*");
        await john.FillAsync("#webhook-description", "Patterns");
        await john.ClickAsync("#webhook-save");
        await Expect(john.Locator(".field-error[data-field=events]")).ToBeVisibleAsync();
        await Expect(john.Locator("#webhook-event-names")).ToHaveValueAsync("activity_log.us*");
        dialogs.Should().BeEmpty("no injected script may run");
    }

    private static async Task RecordAsync(IPage page, string field)
    {
        await page.GotoAsync("/record");
        await page.FillAsync("#field-name", field);
        await page.ClickAsync("#record-field");
        await Expect(page.Locator("#recorded")).ToHaveTextAsync(field);
    }

    /// <summary>A browser context (its own cookies) signed in as <paramref name="user"/>, with one page open.</summary>
    private async Task<IBrowserContext> OpenAsync(WebhooksTestApp app, TestUser user)
    {
        var headers = new Dictionary<string, string> { [TestUser.UserHeader] = user.Id, [TestUser.AccountHeader] = user.Account! };
        if (user.Name is not null)
        {
            headers[TestUser.NameHeader] = user.Name;
        }

        var context = await chromium.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = app.BaseAddress.ToString(),
            Locale = "en-US",
            TimezoneId = "UTC",
            ExtraHTTPHeaders = headers,
        });
        context.SetDefaultTimeout((float)ChromiumFixture.Timeout.TotalMilliseconds);
        context.SetDefaultNavigationTimeout((float)ChromiumFixture.Timeout.TotalMilliseconds);
        await context.NewPageAsync();
        return context;
    }
}
