using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Unicode;
using ActivityLog.AspNetCore.Endpoints;
using ActivityLog.Webhooks;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace ActivityLog.AspNetCore.Webhooks;

/// <summary>
/// The HTML of Settings → Webhooks: hand-written like the Activity Log page (no view engine, no external asset, a
/// nonce-based CSP), every value through <see cref="HtmlEncoder"/>. Ids and classes are a stable contract for tests and
/// host stylesheets: <c>table#webhooks</c>, <c>tr.webhook</c>, <c>a#create-webhook</c>, <c>form#webhook-form</c>,
/// <c>code#webhook-secret</c>, <c>.field-error[data-field]</c>, and those of <see cref="WebhookDetailsRenderer"/>.
/// </summary>
internal static class WebhookPageRenderer
{
    private static readonly HtmlEncoder Encoder = HtmlEncoder.Create(UnicodeRanges.All);

    private const string Style = """
        nav.crumbs{font-size:.9rem;margin-bottom:1rem}
        a{color:#0969da}
        form.stack{flex-direction:column;align-items:stretch;max-width:40rem}
        form.inline{display:inline-flex;margin:0 .5rem .5rem 0}
        fieldset{border:1px solid #d1d9e0;border-radius:6px;padding:.5rem .75rem;display:flex;flex-direction:column;gap:.35rem}
        fieldset label{flex-direction:row;align-items:center;font-size:.9rem;color:#1f2328}
        fieldset input[type=radio]{min-width:0}
        textarea{font:inherit;padding:.35rem .5rem;border:1px solid #d1d9e0;border-radius:6px;min-height:4rem}
        select{font:inherit;padding:.35rem .5rem;border:1px solid #d1d9e0;border-radius:6px}
        .field-error,.form-error,#webhook-error,#webhook-not-found{color:#d1242f;margin:.25rem 0}
        .notice{background:#dafbe1;border:1px solid #aceebb;padding:.5rem .75rem;border-radius:6px}
        .secret{background:#fff8c5;border:1px solid #d4a72c;padding:.75rem 1rem;border-radius:6px;margin:1rem 0}
        .secret code{font-size:1rem;word-break:break-all;user-select:all}
        dl{display:grid;grid-template-columns:max-content 1fr;gap:.35rem 1rem}
        dt{color:#59636e}
        dd{margin:0;word-break:break-all}
        td.excerpt,td.error{font-family:ui-monospace,monospace;font-size:.8rem;word-break:break-all}
        tr.failed td.status{color:#d1242f}
        .danger{border-color:#d1242f;color:#d1242f}
        @media (prefers-color-scheme:dark){:root{color-scheme:light;--fg:#1f2328;--muted:#59636e;--bg:#fff;--line:#d1d9e0;--panel:#f6f8fa;--accent:#0969da;--bad:#d1242f;--mark:#fff8c5}}
        """;

    /// <summary>Writes a full page with its security headers; <paramref name="body"/> appends the inside of <c>main</c>.</summary>
    public static async Task WriteAsync(HttpContext context, int status, string title, Action<StringBuilder> body)
    {
        var html = new StringBuilder(4096);
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<meta name=\"referrer\" content=\"no-referrer\">\n<title>");
        Text(html, title);
        string nonce = Page.PageLayout.NewNonce();
        html.Append("</title>\n<style nonce=\"").Append(nonce).Append("\">").Append(Page.PageLayout.Style).Append(Style)
            .Append("</style>\n</head>\n<body>\n<main>\n");
        body(html);
        html.Append("</main>\n</body>\n</html>\n");

        // After the body: antiforgery's GetAndStoreTokens sets its own X-Frame-Options, which this one replaces.
        var response = context.Response;
        response.StatusCode = status;
        var headers = response.Headers;
        headers.ContentSecurityPolicy = Page.PageLayout.ContentSecurityPolicy(nonce);
        // Secrets are shown on some pages, and URLs may carry tokens: no Referer to anyone, no cache anywhere.
        headers["Referrer-Policy"] = "no-referrer";
        headers.XFrameOptions = "DENY";
        headers.CacheControl = "no-store";
        headers.XContentTypeOptions = "nosniff";
        response.ContentType = "text/html; charset=utf-8";
        await response.WriteAsync(html.ToString(), Encoding.UTF8, context.RequestAborted).ConfigureAwait(false);
    }

    public static void List(StringBuilder html, string title, string listPath, IReadOnlyList<WebhookSubscription> webhooks, string? notice)
    {
        html.Append("<h1>");
        Text(html, title);
        html.Append("</h1>\n");
        Notice(html, notice);
        html.Append("<p><a id=\"create-webhook\" class=\"button\" href=\"");
        Text(html, Join(listPath, "new"));
        html.Append("\">Create New Webhook</a></p>\n");
        html.Append("<table id=\"webhooks\">\n<thead><tr><th scope=\"col\">Description</th><th scope=\"col\">URL</th>")
            .Append("<th scope=\"col\">Format</th><th scope=\"col\">Status</th><th scope=\"col\">Failing since</th></tr></thead>\n<tbody>\n");
        foreach (var webhook in webhooks)
        {
            html.Append("<tr class=\"webhook\" data-id=\"").Append(webhook.Id.ToString("D")).Append("\"><td class=\"description\"><a href=\"");
            Text(html, Join(listPath, webhook.Id.ToString("D")));
            html.Append("\">");
            Text(html, webhook.Description);
            html.Append("</a></td><td class=\"host\">");
            Text(html, webhook.Url.Host);
            html.Append("</td><td class=\"format\">").Append(FormatName(webhook.Format)).Append("</td><td class=\"status\" data-enabled=\"")
                .Append(webhook.Enabled ? "true" : "false").Append("\">");
            Text(html, Status(webhook));
            html.Append("</td><td class=\"failing-since\">");
            OptionalTime(html, webhook.FailingSince);
            html.Append("</td></tr>\n");
        }

        html.Append("</tbody>\n</table>\n");
        if (webhooks.Count == 0)
        {
            html.Append("<p id=\"webhooks-empty\">No webhooks yet. Create one to receive this account's activity as it happens.</p>\n");
        }
    }

    /// <summary>
    /// The Create New Webhook form (or, with <paramref name="editing"/>, the edit form of that webhook), with the values
    /// typed so far and an error next to each refused field.
    /// </summary>
    public static void Form(StringBuilder html, HttpContext context, string listPath, WebhookForm values, IReadOnlyDictionary<string, string> errors, Guid? editing = null)
    {
        html.Append("<nav class=\"crumbs\"><a id=\"back-to-webhooks\" href=\"");
        Text(html, listPath);
        html.Append("\">Webhooks</a></nav>\n<h1>").Append(editing is null ? "Create New Webhook" : "Edit webhook").Append("</h1>\n");
        FieldError(html, errors, "Account");
        FieldError(html, errors, "");
        html.Append("<form id=\"webhook-form\" class=\"stack\" method=\"post\" novalidate action=\"");
        Text(html, Join(listPath, editing is { } id ? id.ToString("D") + "/edit" : "new"));
        html.Append("\">\n");
        Antiforgery(html, context);
        html.Append("<label for=\"webhook-url\">URL <input id=\"webhook-url\" type=\"url\" name=\"url\" required value=\"");
        Text(html, values.Url);
        html.Append("\" placeholder=\"https://example.com/webhooks/activity\" autocomplete=\"off\" spellcheck=\"false\"></label>\n");
        FieldError(html, errors, "Url");
        html.Append("<fieldset id=\"webhook-format\"><legend>Payload format</legend>\n");
        Radio(html, "format", "json", values.Format != "jsonl", "JSON — <code>{\"events\":[…]}</code>");
        Radio(html, "format", "jsonl", values.Format == "jsonl", "JSON Lines — one event per line");
        html.Append("</fieldset>\n");
        FieldError(html, errors, "Format");
        html.Append("<fieldset id=\"webhook-events\"><legend>Events</legend>\n");
        Radio(html, "events_mode", "all", values.EventsMode != "selected", "Activity Log (all events)");
        Radio(html, "events_mode", "selected", values.EventsMode == "selected", "Only these events or patterns:");
        html.Append("<textarea id=\"webhook-event-names\" name=\"events\" placeholder=\"activity_log.user.* activity_log.webhook.created\" spellcheck=\"false\">");
        Text(html, values.Events);
        html.Append("</textarea>\n</fieldset>\n");
        FieldError(html, errors, "Events");
        html.Append("<label for=\"webhook-description\">Description <input id=\"webhook-description\" type=\"text\" name=\"description\" maxlength=\"200\" value=\"");
        Text(html, values.Description);
        html.Append("\" placeholder=\"Logging\" autocomplete=\"off\"></label>\n");
        FieldError(html, errors, "Description");
        html.Append("<p><button id=\"webhook-save\" type=\"submit\">").Append(editing is null ? "Create webhook" : "Save changes").Append("</button></p>\n</form>\n");
    }

    public static void Secret(StringBuilder html, string secret, string warning)
    {
        html.Append("<div class=\"secret\" id=\"webhook-secret-box\"><p id=\"webhook-secret-warning\" role=\"alert\"><strong>");
        Text(html, warning);
        html.Append("</strong></p><p>Signing secret: <code id=\"webhook-secret\">");
        Text(html, secret);
        html.Append("</code></p></div>\n");
    }

    public static void Created(StringBuilder html, string listPath, CreatedWebhookSubscription created)
    {
        html.Append("<nav class=\"crumbs\"><a id=\"back-to-webhooks\" href=\"");
        Text(html, listPath);
        html.Append("\">Webhooks</a></nav>\n<h1>Webhook created</h1>\n<p id=\"webhook-created\">");
        Text(html, created.Subscription.Description);
        html.Append(" sends this account's activity to ");
        Text(html, created.Subscription.Url.Host);
        html.Append(".</p>\n");
        Secret(html, created.Secret,
            "Copy this signing secret now: it is shown only this once. Your receiver verifies each request's webhook-signature with it.");
        html.Append("<p><a id=\"webhook-details-link\" href=\"");
        Text(html, Join(listPath, created.Subscription.Id.ToString("D")));
        html.Append("\">Go to the webhook</a></p>\n");
    }

    /// <summary>A page that only says something (not found, an expired form): the same text for every cause it covers.</summary>
    public static void Message(StringBuilder html, string listPath, string id, string heading, string message)
    {
        html.Append("<nav class=\"crumbs\"><a id=\"back-to-webhooks\" href=\"");
        Text(html, listPath);
        html.Append("\">Webhooks</a></nav>\n<h1>");
        Text(html, heading);
        html.Append("</h1>\n<p id=\"").Append(id).Append("\" role=\"alert\">");
        Text(html, message);
        html.Append("</p>\n");
    }

    public static void Notice(StringBuilder html, string? notice)
    {
        if (notice is not null)
        {
            html.Append("<p id=\"webhook-notice\" class=\"notice\" role=\"status\">");
            Text(html, notice);
            html.Append("</p>\n");
        }
    }

    public static void FieldError(StringBuilder html, IReadOnlyDictionary<string, string> errors, string field)
    {
        if (errors.TryGetValue(field, out string? message))
        {
            html.Append("<p class=\"").Append(field.Length == 0 ? "form-error" : "field-error").Append("\" data-field=\"");
            Text(html, field.ToLowerInvariant());
            html.Append("\" role=\"alert\">");
            Text(html, message);
            html.Append("</p>\n");
        }
    }

    /// <summary>A POST form with the antiforgery field and one button; <paramref name="fields"/> adds inputs before it.</summary>
    public static void PostForm(StringBuilder html, HttpContext context, string id, string action, string button, Action<StringBuilder>? fields = null, string? buttonClass = null)
    {
        html.Append("<form id=\"").Append(id).Append("\" class=\"inline\" method=\"post\" action=\"");
        Text(html, action);
        html.Append("\">");
        Antiforgery(html, context);
        fields?.Invoke(html);
        html.Append("<button type=\"submit\"");
        if (buttonClass is not null)
        {
            html.Append(" class=\"").Append(buttonClass).Append('"');
        }

        html.Append('>');
        Text(html, button);
        html.Append("</button></form>\n");
    }

    public static void Antiforgery(StringBuilder html, HttpContext context)
    {
        var antiforgery = context.RequestServices.GetService<IAntiforgery>() ?? throw new InvalidOperationException(WebhookCaller.MissingAntiforgery);
        var tokens = antiforgery.GetAndStoreTokens(context);
        html.Append("<input type=\"hidden\" name=\"");
        Text(html, tokens.FormFieldName);
        html.Append("\" value=\"");
        Text(html, tokens.RequestToken ?? "");
        html.Append("\">");
    }

    public static string FormatName(WebhookPayloadFormat format) => format == WebhookPayloadFormat.JsonLines ? "JSON Lines" : "JSON";

    public static string Status(WebhookSubscription webhook) => webhook.Enabled
        ? "Enabled"
        : webhook.DisabledReason switch
        {
            null or "" => "Disabled",
            "admin" => "Disabled by an admin",
            "gone" => "Disabled: the receiver answered 410 Gone",
            "failing" => "Disabled after continuous failed deliveries",
            string other => "Disabled (" + other + ")",
        };

    public static void OptionalTime(StringBuilder html, DateTimeOffset? time)
    {
        if (time is { } value)
        {
            Time(html, value);
        }
        else
        {
            html.Append('—');
        }
    }

    public static void Time(StringBuilder html, DateTimeOffset time)
    {
        var utc = time.UtcDateTime;
        html.Append("<time datetime=\"").Append(utc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)).Append("\">")
            .Append(utc.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture)).Append("</time>");
    }

    public static string Join(string listPath, string child) => listPath.EndsWith('/') ? listPath + child : listPath + "/" + child;

    public static void Text(StringBuilder html, string? value) => html.Append(Encoder.Encode(value ?? ""));

    private static void Radio(StringBuilder html, string name, string value, bool isChecked, string labelHtml)
    {
        html.Append("<label><input type=\"radio\" name=\"").Append(name).Append("\" value=\"").Append(value).Append('"')
            .Append(isChecked ? " checked" : "").Append("> ").Append(labelHtml).Append("</label>\n");
    }
}
