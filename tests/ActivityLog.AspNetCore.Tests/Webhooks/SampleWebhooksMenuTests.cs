using ActivityLog.AspNetCore.Tests.Browser;
using static Microsoft.Playwright.Assertions;

namespace ActivityLog.AspNetCore.Tests.Webhooks;

/// <summary>The web sample's Settings → Webhooks: in its menu, mapped, scoped to the signed-in user's account.</summary>
[Collection(ChromiumTestGroup.Name)]
public sealed class SampleWebhooksMenuTests(ChromiumFixture chromium)
{
    [Fact]
    public async Task The_samples_menu_leads_a_signed_in_user_to_Settings_Webhooks_and_its_form()
    {
        await using var app = new SampleAppFactory();
        await using var browser = await SampleBrowser.OpenAsync(chromium, app);
        await browser.SignInAsync(1, "John Doe");

        await browser.Page.GotoAsync("/");
        await browser.ClickAndWaitForNextDocumentAsync(browser.Page.Locator("#settings-webhooks"));
        await Expect(browser.Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/settings/webhooks$"));
        await Expect(browser.Page.Locator("h1")).ToHaveTextAsync("Webhooks");
        await Expect(browser.Page.Locator("#webhooks-empty")).ToBeVisibleAsync();

        await browser.ClickAndWaitForNextDocumentAsync(browser.Page.Locator("#create-webhook"));
        await Expect(browser.Page.Locator("#webhook-form input[name=__RequestVerificationToken]")).ToHaveCountAsync(1);

        // A plain http URL is refused next to the field: tenant URLs are https only by default in the sample.
        await browser.Page.FillAsync("#webhook-url", "http://hooks.example.com/activity");
        await browser.Page.FillAsync("#webhook-description", "Logging");
        await browser.ClickAndWaitForNextDocumentAsync(browser.Page.Locator("#webhook-save"));
        await Expect(browser.Page.Locator(".field-error[data-field=url]")).ToBeVisibleAsync();

        var api = await browser.Page.APIRequest.GetAsync("/settings/webhooks/api");
        api.Status.Should().Be(200);
        (await api.TextAsync()).Should().Be("{\"webhooks\":[]}");
        browser.Dialogs.Should().BeEmpty();
    }
}
