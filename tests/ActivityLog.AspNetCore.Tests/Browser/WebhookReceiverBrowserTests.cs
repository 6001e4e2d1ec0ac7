using System.Net;
using System.Text;
using ActivityLog.Samples.WebApp;
using Microsoft.Extensions.DependencyInjection;
using static Microsoft.Playwright.Assertions;

namespace ActivityLog.AspNetCore.Tests.Browser;

/// <summary>
/// The sample's webhook demo: activities recorded by clicking are delivered, signed, to the receiver inside the same
/// app, which verifies them with the package's verifier and lists them per account; a forged request is refused.
/// </summary>
[Collection(ChromiumTestGroup.Name)]
public sealed class WebhookReceiverBrowserTests(ChromiumFixture chromium)
{
    /// <summary>
    /// Only a hang guard: delivery crosses the queue, the SQLite outbox and a worker, and on a loaded 2-core CI machine
    /// that has taken longer than the page timeout.
    /// </summary>
    private static readonly TimeSpan DeliveryTimeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Recorded_activities_arrive_signed_at_the_samples_receiver_and_are_listed_per_account()
    {
        await using var app = new SampleAppFactory(webhooks: true);
        await using var browser = await SampleBrowser.OpenAsync(chromium, app);
        var inbox = app.Services.GetRequiredService<WebhookInbox>();

        await browser.SignInAsync(1, "John Doe");
        await browser.RecordAsync("remove-webhook", "webhook-removed");
        await browser.RecordAsync("update-profile", "profile-updated", ("#profile-name", "Johnny Doe"));
        await inbox.WaitForAsync(e => e.Name == "activity_log.webhook.removed").WaitAsync(DeliveryTimeout);
        await inbox.WaitForAsync(e => e.Name == "activity_log.user.updated").WaitAsync(DeliveryTimeout);

        using (var http = new HttpClient { BaseAddress = app.BaseAddress })
        using (var forged = new StringContent("""{"events":[]}""", Encoding.UTF8, "application/json"))
        {
            forged.Headers.Add("webhook-id", "msg_forged");
            forged.Headers.Add("webhook-timestamp", DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
            forged.Headers.Add("webhook-signature", "v1,bm90IGEgc2lnbmF0dXJl");
            using var response = await http.PostAsync(new Uri("/webhooks/receiver", UriKind.Relative), forged);
            response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        }

        await browser.Page.GotoAsync("/webhooks/received");
        var sentences = (await browser.Page.Locator("#webhooks-received tr.webhook-event td.sentence").AllInnerTextsAsync()).Select(s => s.Trim()).ToList();
        sentences.Should().Equal("John Doe updated the user profile.", "John Doe removed the webhook Logging from Transactional.");
        (await browser.Page.Locator("#webhooks-received td.webhook-id").AllInnerTextsAsync()).Should().OnlyContain(id => id.Trim().Length > 0 && id.Trim() != "msg_forged");
        await Expect(browser.Page.Locator("#webhooks-refused")).ToHaveTextAsync("1");

        await browser.SignOutAsync();
        await browser.SignInAsync(2, "Jane Roe");
        await browser.Page.GotoAsync("/webhooks/received");
        await Expect(browser.Page.Locator("#webhooks-empty")).ToBeVisibleAsync();
        (await browser.Page.ContentAsync()).Should().NotContain("John Doe");
    }
}
