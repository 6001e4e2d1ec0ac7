using System.Net;
using System.Text.RegularExpressions;
using ActivityLog.AspNetCore.Tests.Webhooks.Support;
using ActivityLog.Webhooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using static ActivityLog.AspNetCore.Tests.Webhooks.Support.WebhooksTestApp;

namespace ActivityLog.AspNetCore.Tests.Webhooks;

/// <summary>
/// Settings → Webhooks over real HTTP (Kestrel, the header sign-in, real antiforgery cookies and tokens) on the in-test
/// manager: forms, the secret shown once, validation next to the field, antiforgery, encoding, and account isolation.
/// </summary>
public sealed partial class WebhookPageTests
{
    [Fact]
    public async Task Create_New_Webhook_shows_the_secret_once_then_lists_the_host_and_never_the_secret_again()
    {
        await using var app = await StartAsync();
        using var john = app.ClientFor(John);

        var (empty, emptyBody) = await john.GetAsync(WebhooksTestApp.Path);
        empty.StatusCode.Should().Be(HttpStatusCode.OK);
        emptyBody.Should().Contain("id=\"webhooks-empty\"").And.Contain("id=\"create-webhook\"").And.Contain(">Create New Webhook</a>");
        empty.Headers.GetValues("Content-Security-Policy").Single().Should().StartWith("default-src 'none'");
        empty.Headers.CacheControl!.NoStore.Should().BeTrue();

        string token = await john.TokenFromAsync(WebhooksTestApp.Path + "/new");
        var (created, createdBody) = await john.PostFormAsync(WebhooksTestApp.Path + "/new", token,
            ("url", "https://hooks.example.com/activity?token=s3cr3t"), ("format", "jsonl"), ("events_mode", "selected"),
            ("events", "activity_log.user.*, activity_log.webhook.created"), ("description", "Logging"));

        created.StatusCode.Should().Be(HttpStatusCode.OK, createdBody);
        string secret = Secret().Match(createdBody).Groups["secret"].Value;
        secret.Should().StartWith("whsec_");
        createdBody.Should().Contain("id=\"webhook-secret-warning\"").And.Contain("shown only this once");
        created.Headers.CacheControl!.NoStore.Should().BeTrue("a page with a secret must not be cached");
        created.Headers.GetValues("Referrer-Policy").Single().Should().Be("no-referrer");

        var webhook = (await app.InTest!.ListAsync("acme")).Single();
        webhook.Format.Should().Be(WebhookPayloadFormat.JsonLines);
        webhook.Events.Should().Equal("activity_log.user.*", "activity_log.webhook.created");
        webhook.Description.Should().Be("Logging");

        var (list, listBody) = await john.GetAsync(WebhooksTestApp.Path);
        list.StatusCode.Should().Be(HttpStatusCode.OK);
        listBody.Should().Contain($"data-id=\"{webhook.Id:D}\"").And.Contain("<td class=\"host\">hooks.example.com</td>")
            .And.Contain("JSON Lines").And.Contain("Enabled")
            .And.NotContain("s3cr3t", "the list shows the host only").And.NotContain(secret);

        var (details, detailsBody) = await john.GetAsync($"{WebhooksTestApp.Path}/{webhook.Id:D}");
        details.StatusCode.Should().Be(HttpStatusCode.OK);
        detailsBody.Should().Contain("activity_log.user.*, activity_log.webhook.created").And.NotContain(secret).And.NotContain("whsec_");
    }

    [Fact]
    public async Task A_refused_field_is_shown_next_to_it_with_a_400_and_what_was_typed_stays()
    {
        await using var app = await StartAsync();
        using var john = app.ClientFor(John);
        string token = await john.TokenFromAsync(WebhooksTestApp.Path + "/new");

        var (noUrl, noUrlBody) = await john.PostFormAsync(WebhooksTestApp.Path + "/new", token, ("url", ""), ("format", "json"), ("events_mode", "all"), ("description", "Logging"));
        noUrl.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        FieldErrors(noUrlBody).Should().ContainSingle().Which.Field.Should().Be("url");
        noUrlBody.Should().Contain("value=\"Logging\"", "the description typed stays in the form");

        var (noEvents, noEventsBody) = await john.PostFormAsync(WebhooksTestApp.Path + "/new", token, ("url", "https://hooks.example.com/a"), ("events_mode", "selected"), ("events", " "), ("description", "Logging"));
        noEvents.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        FieldErrors(noEventsBody).Should().ContainSingle().Which.Field.Should().Be("events");

        // The manager's own refusal (WebhookSubscriptionException.Field) lands next to its field.
        var (noName, noNameBody) = await john.PostFormAsync(WebhooksTestApp.Path + "/new", token, ("url", "https://hooks.example.com/a"), ("events_mode", "all"), ("description", "   "));
        noName.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        FieldErrors(noNameBody).Should().ContainSingle().Which.Should().Be(("description", "The description must be 1 to 200 characters."));

        var (badPattern, badPatternBody) = await john.PostFormAsync(WebhooksTestApp.Path + "/new", token, ("url", "https://hooks.example.com/a"), ("events_mode", "selected"), ("events", "activity_log.us*"), ("description", "Logging"));
        badPattern.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        FieldErrors(badPatternBody).Should().ContainSingle().Which.Field.Should().Be("events");
        badPatternBody.Should().Contain(">activity_log.us*</textarea>");

        (await app.InTest!.ListAsync("acme")).Should().BeEmpty();
    }

    [Fact]
    public async Task A_post_without_a_valid_antiforgery_token_changes_nothing()
    {
        await using var app = await StartAsync();
        using var john = app.ClientFor(John);
        using var jane = app.ClientFor(Jane);
        var created = await app.InTest!.CreateAsync("acme", Draft("Logging"));
        string self = $"{WebhooksTestApp.Path}/{created.Subscription.Id:D}";

        var (noToken, noTokenBody) = await john.PostFormAsync(WebhooksTestApp.Path + "/new", token: null, ("url", "https://hooks.example.com/a"), ("description", "Forged"));
        noToken.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        noTokenBody.Should().Contain("id=\"webhook-error\"");
        (await john.PostFormAsync(self + "/disable", token: null)).Response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await john.PostFormAsync(self + "/delete", token: "not-a-token")).Response.StatusCode.Should().Be(HttpStatusCode.BadRequest);

        // A token minted for Jane (her cookie, her identity) does not work for John, and the other way round.
        string janeToken = await jane.TokenFromAsync(WebhooksTestApp.Path + "/new");
        (await john.PostFormAsync(self + "/disable", janeToken)).Response.StatusCode.Should().Be(HttpStatusCode.BadRequest);

        var (list, _) = await john.GetAsync(WebhooksTestApp.Path);
        list.StatusCode.Should().Be(HttpStatusCode.OK);
        var webhooks = await app.InTest.ListAsync("acme");
        webhooks.Should().ContainSingle().Which.Enabled.Should().BeTrue();

        string johnToken = await john.TokenFromAsync(self);
        var (disabled, _) = await john.PostFormAsync(self + "/disable", johnToken);
        disabled.StatusCode.Should().Be(HttpStatusCode.SeeOther);
        disabled.Headers.Location!.OriginalString.Should().Be(self + "?done=disabled");
        (await app.InTest.GetAsync("acme", created.Subscription.Id))!.Enabled.Should().BeFalse();
    }

    [Fact]
    public async Task A_script_in_the_description_url_and_response_excerpt_is_shown_as_text()
    {
        await using var app = await StartAsync();
        using var john = app.ClientFor(John);
        const string script = "<script>alert(1)</script>";
        var created = await app.InTest!.CreateAsync("acme", Draft(script, "https://hooks.example.com/a?x=\"><script>alert(2)</script>"));
        var id = created.Subscription.Id;
        app.InTest.AddAttempt(id, new WebhookDeliveryAttempt("msg_<b>x</b>", DateTimeOffset.UnixEpoch, 1, 1, false, 500, "<img src=x onerror=alert(3)>", TimeSpan.FromMilliseconds(5), "<script>alert(4)</script>", false));
        app.InTest.AddDeadLetter(id, new WebhookDeadLetter("msg_\"><svg onload=alert(5)>", 1, 10, "<script>alert(6)</script>", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch));

        var (_, list) = await john.GetAsync(WebhooksTestApp.Path);
        var (_, details) = await john.GetAsync($"{WebhooksTestApp.Path}/{id:D}");
        var (_, confirm) = await john.GetAsync($"{WebhooksTestApp.Path}/{id:D}/delete");

        list.Should().Contain("&lt;script&gt;alert(1)&lt;/script&gt;");
        foreach (string html in new[] { list, details, confirm })
        {
            html.Should().NotContain("<script>").And.NotContain("<img").And.NotContain("<svg").And.NotContain("<b>x");
        }

        details.Should().Contain("&lt;script&gt;alert(4)&lt;/script&gt;").And.Contain("&lt;img src=x onerror=alert(3)&gt;");
    }

    [Fact]
    public async Task Another_accounts_webhook_is_not_found_on_every_page_and_action_and_stays_untouched()
    {
        await using var app = await StartAsync();
        using var jane = app.ClientFor(Jane);
        var acme = await app.InTest!.CreateAsync("acme", Draft("Acme logging"));
        var id = acme.Subscription.Id;
        app.InTest.AddDeadLetter(id, new WebhookDeadLetter("msg_acme1", 1, 10, "HTTP 500", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch));
        app.InTest.AddAttempt(id, new WebhookDeliveryAttempt("msg_acme1", DateTimeOffset.UnixEpoch, 1, 1, false, 500, null, TimeSpan.Zero, "acme-only", false));

        var (list, listBody) = await jane.GetAsync(WebhooksTestApp.Path);
        list.StatusCode.Should().Be(HttpStatusCode.OK);
        listBody.Should().Contain("id=\"webhooks-empty\"").And.NotContain("Acme logging").And.NotContain(id.ToString("D"));

        var (notFound, notFoundBody) = await jane.GetAsync($"{WebhooksTestApp.Path}/{id:D}");
        var (unknown, unknownBody) = await jane.GetAsync($"{WebhooksTestApp.Path}/{Guid.NewGuid():D}");
        notFound.StatusCode.Should().Be(HttpStatusCode.NotFound);
        unknown.StatusCode.Should().Be(HttpStatusCode.NotFound);
        Nonces().Replace(notFoundBody, "").Should().Be(Nonces().Replace(unknownBody, ""), "another account's webhook and no webhook look the same");
        notFoundBody.Should().NotContain("Acme logging").And.NotContain("acme-only");
        (await jane.GetAsync($"{WebhooksTestApp.Path}/{id:D}/delete")).Response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await jane.GetAsync($"{WebhooksTestApp.Path}/{id:D}/edit")).Response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await jane.GetAsync($"{WebhooksTestApp.Path}/not-a-guid")).Response.StatusCode.Should().Be(HttpStatusCode.NotFound);

        string token = await jane.TokenFromAsync(WebhooksTestApp.Path + "/new");
        string self = $"{WebhooksTestApp.Path}/{id:D}";
        foreach (var (path, fields) in new (string, (string, string)[])[]
        {
            (self + "/disable", []),
            (self + "/edit", [("url", "https://evil.example.com/"), ("events_mode", "all"), ("description", "Mine")]),
            (self + "/edit", [("url", ""), ("description", "Mine")]),
            (self + "/enable", [("resume_from", "now")]),
            (self + "/rotate", []),
            (self + "/test", []),
            (self + "/recover", [("since", "2020-01-01T00:00")]),
            (self + "/dead-letters/msg_acme1/redeliver", []),
            (self + "/delete", []),
        })
        {
            var (response, body) = await jane.PostFormAsync(path, token, fields);
            response.StatusCode.Should().Be(HttpStatusCode.NotFound, "{0} with acme's id", path);
            body.Should().NotContain("whsec_").And.NotContain("Acme logging");
        }

        var untouched = await app.InTest.GetAsync("acme", id);
        untouched.Should().NotBeNull();
        untouched!.Enabled.Should().BeTrue();
        untouched.Description.Should().Be("Acme logging");
        untouched.Url.Host.Should().Be("hooks.example.com");
        untouched.PreviousSecretExpiresAt.Should().BeNull("Jane's rotate did not happen");
        app.InTest.Redelivered.Should().BeEmpty();
        app.InTest.Recovered.Should().BeEmpty();
    }

    [Fact]
    public async Task The_details_buttons_edit_enable_from_now_rotate_test_recover_redeliver_and_delete_after_confirming()
    {
        await using var app = await StartAsync();
        using var john = app.ClientFor(John);
        var id = (await app.InTest!.CreateAsync("acme", Draft("Logging"))).Subscription.Id;
        string self = $"{WebhooksTestApp.Path}/{id:D}";
        app.InTest.AddDeadLetter(id, new WebhookDeadLetter("msg_dead1", 3, 10, "HTTP 503", DateTimeOffset.UnixEpoch, new DateTimeOffset(2026, 12, 3, 8, 0, 0, TimeSpan.Zero)));
        string token = await john.TokenFromAsync(self);

        var (_, details) = await john.GetAsync(self);
        details.Should().Contain("id=\"webhook-disable\"").And.NotContain("id=\"webhook-enable\"").And.Contain("<td class=\"webhook-id\">msg_dead1</td>");
        (await john.PostFormAsync(self + "/disable", token)).Response.StatusCode.Should().Be(HttpStatusCode.SeeOther);
        (_, details) = await john.GetAsync(self + "?done=disabled");
        details.Should().Contain("id=\"webhook-enable\"").And.Contain("Disabled by an admin").And.Contain("id=\"webhook-notice\"");

        (await john.PostFormAsync(self + "/enable", token, ("resume_from", "sideways"))).Response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var (enabled, _) = await john.PostFormAsync(self + "/enable", token, ("resume_from", "now"));
        enabled.StatusCode.Should().Be(HttpStatusCode.SeeOther);
        (await app.InTest.GetAsync("acme", id))!.Enabled.Should().BeTrue();

        var (edit, editBody) = await john.GetAsync(self + "/edit");
        edit.StatusCode.Should().Be(HttpStatusCode.OK);
        editBody.Should().Contain("value=\"Logging\"").And.Contain("value=\"https://hooks.example.com/activity\"");
        var (badEdit, badEditBody) = await john.PostFormAsync(self + "/edit", token, ("url", "ftp://hooks.example.com/"), ("events_mode", "all"), ("description", "Audit"));
        badEdit.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        FieldErrors(badEditBody).Should().ContainSingle().Which.Field.Should().Be("url");
        var (edited, _) = await john.PostFormAsync(self + "/edit", token, ("url", "https://other.example.com/b"), ("format", "jsonl"), ("events_mode", "selected"), ("events", "activity_log.user.*"), ("description", "Audit"));
        edited.StatusCode.Should().Be(HttpStatusCode.SeeOther);
        edited.Headers.Location!.OriginalString.Should().Be(self + "?done=updated");
        var saved = (await app.InTest.GetAsync("acme", id))!;
        (saved.Description, saved.Url.Host, saved.Format, saved.Events.Single()).Should().Be(("Audit", "other.example.com", WebhookPayloadFormat.JsonLines, "activity_log.user.*"));

        (_, details) = await john.GetAsync(self);
        var rotatedFrom = ("rotated_from", RotatedFrom().Match(details).Groups["token"].Value);
        rotatedFrom.Item2.Should().Be("none", "the secret was never rotated");
        var (rotated, rotatedBody) = await john.PostFormAsync(self + "/rotate", token, rotatedFrom);
        rotated.StatusCode.Should().Be(HttpStatusCode.OK);
        Secret().Match(rotatedBody).Groups["secret"].Value.Should().StartWith("whsec_");
        rotatedBody.Should().Contain("id=\"webhook-rotation-overlap\"").And.Contain("<time datetime=\"");
        var afterRotation = (await app.InTest.GetAsync("acme", id))!.PreviousSecretExpiresAt;

        // The result page refreshed: the browser sends the same form again, which must not rotate a second time.
        var (again, againBody) = await john.PostFormAsync(self + "/rotate", token, rotatedFrom);
        again.StatusCode.Should().Be(HttpStatusCode.Conflict);
        againBody.Should().Contain("id=\"webhook-notice\"").And.Contain("rotated since this page was loaded").And.NotContain("whsec_");
        (await app.InTest.GetAsync("acme", id))!.PreviousSecretExpiresAt.Should().Be(afterRotation);
        (await john.PostFormAsync(self + "/rotate", token)).Response.StatusCode.Should().Be(HttpStatusCode.Conflict, "a form without the field rotates nothing either");

        var (tested, testedBody) = await john.PostFormAsync(self + "/test", token);
        tested.StatusCode.Should().Be(HttpStatusCode.OK);
        testedBody.Should().Contain("id=\"webhook-test-result\" data-succeeded=\"true\"").And.Contain("HTTP 204");

        var (badSince, badSinceBody) = await john.PostFormAsync(self + "/recover", token, ("since", "yesterday"));
        badSince.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        FieldErrors(badSinceBody).Should().ContainSingle().Which.Field.Should().Be("since");
        var (recovered, _) = await john.PostFormAsync(self + "/recover", token, ("since", "2026-12-03T07:30"));
        recovered.StatusCode.Should().Be(HttpStatusCode.SeeOther);
        recovered.Headers.Location!.OriginalString.Should().Be(self + "?done=recovered&count=1");
        app.InTest.Recovered.Should().Equal((id, new DateTimeOffset(2026, 12, 3, 7, 30, 0, TimeSpan.Zero)));

        (await john.PostFormAsync(self + "/dead-letters/msg_nope/redeliver", token)).Response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await john.PostFormAsync(self + "/dead-letters/msg_dead1/redeliver", token)).Response.StatusCode.Should().Be(HttpStatusCode.SeeOther);
        app.InTest.Redelivered.Should().Equal((id, "msg_dead1"));

        var (confirm, confirmBody) = await john.GetAsync(self + "/delete");
        confirm.StatusCode.Should().Be(HttpStatusCode.OK);
        confirmBody.Should().Contain("id=\"webhook-delete-confirm\"");
        var (deleted, _) = await john.PostFormAsync(self + "/delete", token);
        deleted.StatusCode.Should().Be(HttpStatusCode.SeeOther);
        deleted.Headers.Location!.OriginalString.Should().Be(WebhooksTestApp.Path + "?done=deleted");
        (await app.InTest.ListAsync("acme")).Should().BeEmpty();
        (await john.GetAsync(self)).Response.StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Anonymous_and_account_less_callers_are_refused()
    {
        await using var app = await StartAsync();
        using var anonymous = app.ClientFor(null);
        using var noAccount = app.ClientFor(new ActivityLog.AspNetCore.Tests.Support.TestUser("99", "Nobody", null));

        (await anonymous.GetAsync(WebhooksTestApp.Path)).Response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await anonymous.GetAsync(WebhooksTestApp.Path + "/api")).Response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        var (forbidden, body) = await noAccount.GetAsync(WebhooksTestApp.Path);
        forbidden.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        body.Should().Contain("no webhooks to show");
        (await noAccount.GetAsync(WebhooksTestApp.Path + "/api")).Response.StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Mapping_without_AddWebhooks_or_AddAntiforgery_fails_at_start_saying_what_to_call()
    {
        var withoutWebhooks = WebApplication.CreateSlimBuilder();
        withoutWebhooks.Services.AddAntiforgery();
        withoutWebhooks.Services.AddActivityLog().AddAspNetCore();
        await using (var app = withoutWebhooks.Build())
        {
            var map = () => app.MapActivityLogWebhooks();
            map.Should().Throw<InvalidOperationException>().WithMessage("*AddWebhooks(*");
        }

        var withoutAntiforgery = WebApplication.CreateSlimBuilder();
        withoutAntiforgery.Services.AddActivityLog().AddAspNetCore();
        withoutAntiforgery.Services.AddSingleton<IActivityWebhookSubscriptions>(new InTestWebhookSubscriptions(TimeProvider.System));
        await using (var app = withoutAntiforgery.Build())
        {
            var map = () => app.MapActivityLogWebhooks();
            map.Should().Throw<InvalidOperationException>().WithMessage("*services.AddAntiforgery()*");
        }

        var badOptions = WebApplication.CreateSlimBuilder();
        badOptions.Services.AddAntiforgery();
        badOptions.Services.AddSingleton<IActivityWebhookSubscriptions>(new InTestWebhookSubscriptions(TimeProvider.System));
        await using (var app = badOptions.Build())
        {
            var map = () => app.MapActivityLogWebhooks(configure: o => o.AttemptsShown = 0);
            map.Should().Throw<Microsoft.Extensions.Options.OptionsValidationException>().WithMessage("*AttemptsShown*");
        }
    }

    internal static WebhookSubscriptionDraft Draft(string description, string url = "https://hooks.example.com/activity") =>
        new() { Url = new Uri(url), Description = description };

    internal static IReadOnlyList<(string Field, string Message)> FieldErrors(string html) =>
        [.. FieldError().Matches(html).Select(m => (m.Groups["field"].Value, WebUtility.HtmlDecode(m.Groups["message"].Value)))];

    [GeneratedRegex("<code id=\"webhook-secret\">(?<secret>[^<]+)</code>")]
    internal static partial Regex Secret();

    [GeneratedRegex("name=\"rotated_from\" value=\"(?<token>[^\"]*)\"")]
    private static partial Regex RotatedFrom();

    [GeneratedRegex("<p class=\"field-error\" data-field=\"(?<field>[^\"]*)\" role=\"alert\">(?<message>[^<]*)</p>")]
    private static partial Regex FieldError();

    [GeneratedRegex("(?<=nonce=\")[^\"]+")]
    private static partial Regex Nonces();
}
