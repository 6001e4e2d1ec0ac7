using System.Globalization;
using System.Text;
using ActivityLog.Webhooks;
using Microsoft.AspNetCore.Http;
using static ActivityLog.AspNetCore.Webhooks.WebhookPageRenderer;

namespace ActivityLog.AspNetCore.Webhooks;

/// <summary>
/// The details page of one webhook and the pages its buttons lead to. Markup contract: <c>dl#webhook-summary</c>,
/// <c>table#webhook-attempts</c> (<c>tr.attempt</c> with <c>td.time</c>, <c>td.webhook-id</c>, <c>td.status</c>,
/// <c>td.duration</c>, <c>td.excerpt</c>), <c>table#webhook-dead-letters</c> (<c>tr.dead-letter</c>, each with
/// <c>form[id^=redeliver-]</c>), the forms <c>#webhook-test</c>, <c>#webhook-rotate</c>, <c>#webhook-enable</c>,
/// <c>#webhook-disable</c>, <c>#webhook-recover</c>, <c>a#webhook-delete</c>, and <c>#webhook-test-result</c>.
/// </summary>
internal static class WebhookDetailsRenderer
{
    public sealed record Details(
        WebhookSubscription Webhook,
        IReadOnlyList<WebhookDeliveryAttempt> Attempts,
        IReadOnlyList<WebhookDeadLetter> DeadLetters,
        string? Notice,
        IReadOnlyDictionary<string, string> Errors);

    public static void Render(StringBuilder html, HttpContext context, string listPath, Details details)
    {
        var webhook = details.Webhook;
        string self = Join(listPath, webhook.Id.ToString("D"));
        Crumbs(html, listPath);
        html.Append("<h1 id=\"webhook-title\">");
        Text(html, webhook.Description);
        html.Append("</h1>\n");
        Notice(html, details.Notice);
        FieldError(html, details.Errors, "");

        html.Append("<dl id=\"webhook-summary\">\n<dt>URL</dt><dd id=\"webhook-url\">");
        Text(html, webhook.Url.ToString());
        html.Append("</dd>\n<dt>Payload format</dt><dd id=\"webhook-format\">").Append(FormatName(webhook.Format))
            .Append("</dd>\n<dt>Events</dt><dd id=\"webhook-events\">");
        Text(html, webhook.Events.Count == 0 ? "Activity Log (all events)" : string.Join(", ", webhook.Events));
        html.Append("</dd>\n<dt>Status</dt><dd id=\"webhook-status\" data-enabled=\"").Append(webhook.Enabled ? "true" : "false").Append("\">");
        Text(html, Status(webhook));
        html.Append("</dd>\n<dt>Failing since</dt><dd id=\"webhook-failing-since\">");
        OptionalTime(html, webhook.FailingSince);
        html.Append("</dd>\n");
        if (webhook.PreviousSecretExpiresAt is { } expires)
        {
            html.Append("<dt>Previous secret signs until</dt><dd id=\"webhook-previous-secret-expires\">");
            Time(html, expires);
            html.Append("</dd>\n");
        }

        html.Append("<dt>Created</dt><dd id=\"webhook-created-at\">");
        Time(html, webhook.CreatedAt);
        By(html, webhook.CreatedBy);
        html.Append("</dd>\n<dt>Updated</dt><dd id=\"webhook-updated-at\">");
        Time(html, webhook.UpdatedAt);
        By(html, webhook.UpdatedBy);
        html.Append("</dd>\n</dl>\n");

        html.Append("<section id=\"webhook-actions\">\n<h2>Actions</h2>\n<p><a id=\"webhook-edit\" href=\"");
        Text(html, self + "/edit");
        html.Append("\">Edit URL, format, events or description</a></p>\n");
        PostForm(html, context, "webhook-test", self + "/test", "Send test event");
        PostForm(html, context, "webhook-rotate", self + "/rotate", "Rotate secret", fields =>
        {
            fields.Append("<input type=\"hidden\" name=\"").Append(RotationField).Append("\" value=\"");
            Text(fields, RotationToken(webhook));
            fields.Append("\">");
        });
        if (webhook.Enabled)
        {
            PostForm(html, context, "webhook-disable", self + "/disable", "Disable");
        }
        else
        {
            PostForm(html, context, "webhook-enable", self + "/enable", "Enable", fields => fields
                .Append("<label>Resume <select name=\"resume_from\" id=\"webhook-resume-from\">")
                .Append("<option value=\"backlog\">from the backlog (deliver what was kept while disabled)</option>")
                .Append("<option value=\"now\">from now (discard the backlog)</option></select></label>"));
            FieldError(html, details.Errors, "resume_from");
        }

        PostForm(html, context, "webhook-recover", self + "/recover", "Recover failed messages", fields => fields
            .Append("<label>Dead-lettered since (UTC) <input type=\"datetime-local\" step=\"1\" name=\"since\" id=\"webhook-recover-since\" required></label>"));
        FieldError(html, details.Errors, "since");
        html.Append("<p><a id=\"webhook-delete\" class=\"danger\" href=\"");
        Text(html, self + "/delete");
        html.Append("\">Delete webhook…</a></p>\n</section>\n");

        Attempts(html, details.Attempts);
        DeadLetters(html, context, self, details.DeadLetters);
    }

    public static void ConfirmDelete(StringBuilder html, HttpContext context, string listPath, WebhookSubscription webhook)
    {
        string self = Join(listPath, webhook.Id.ToString("D"));
        Crumbs(html, listPath);
        html.Append("<h1>Delete the webhook ");
        Text(html, webhook.Description);
        html.Append("?</h1>\n<p id=\"webhook-delete-warning\" role=\"alert\">Nothing more is sent to ");
        Text(html, webhook.Url.Host);
        html.Append(", and what is still waiting to be delivered is discarded. This cannot be undone.</p>\n");
        PostForm(html, context, "webhook-delete-confirm", self + "/delete", "Delete webhook", buttonClass: "danger");
        html.Append("<p><a id=\"webhook-delete-cancel\" href=\"");
        Text(html, self);
        html.Append("\">Cancel</a></p>\n");
    }

    /// <summary>The rotate form's field that names the rotation the page was rendered after.</summary>
    public const string RotationField = "rotated_from";

    /// <summary>
    /// Which rotation the page saw: the expiry of the previous secret (none before the first rotation). A refreshed
    /// result page sends its form again; with this the second POST finds a newer rotation and rotates nothing.
    /// </summary>
    public static string RotationToken(WebhookSubscription webhook) =>
        webhook.PreviousSecretExpiresAt is { } expires ? expires.UtcTicks.ToString(CultureInfo.InvariantCulture) : "none";

    public static void Rotated(StringBuilder html, string listPath, RotatedWebhookSecret rotated)
    {
        Crumbs(html, listPath);
        html.Append("<h1>New signing secret for ");
        Text(html, rotated.Subscription.Description);
        html.Append("</h1>\n");
        Secret(html, rotated.Secret, "Copy the new signing secret now: it is shown only this once.");
        html.Append("<p id=\"webhook-rotation-overlap\">Until ");
        Time(html, rotated.PreviousSecretExpiresAt);
        html.Append(", every request carries a signature with the previous secret too, so your receiver can switch without losing a message.</p>\n");
        BackToDetails(html, listPath, rotated.Subscription.Id);
    }

    public static void TestResult(StringBuilder html, string listPath, WebhookSubscription webhook, WebhookDeliveryAttempt attempt)
    {
        Crumbs(html, listPath);
        html.Append("<h1>Test event sent to ");
        Text(html, webhook.Description);
        html.Append("</h1>\n<div id=\"webhook-test-result\" data-succeeded=\"").Append(attempt.Succeeded ? "true" : "false").Append("\">\n<p>");
        html.Append(attempt.Succeeded ? "The receiver accepted the test event" : "The test event failed");
        html.Append(attempt.StatusCode is { } status ? " (HTTP " + status.ToString(CultureInfo.InvariantCulture) + ")" : "")
            .Append(" in ").Append(Milliseconds(attempt.Duration)).Append(".</p>\n");
        html.Append("<p>webhook-id: <code class=\"webhook-id\">");
        Text(html, attempt.MessageId);
        html.Append("</code></p>\n");
        if (attempt.Error is { } error)
        {
            html.Append("<p class=\"error\">");
            Text(html, error);
            html.Append("</p>\n");
        }

        if (attempt.ResponseExcerpt is { } excerpt)
        {
            html.Append("<pre class=\"excerpt\">");
            Text(html, excerpt);
            html.Append("</pre>\n");
        }

        html.Append("</div>\n");
        BackToDetails(html, listPath, webhook.Id);
    }

    private static void Attempts(StringBuilder html, IReadOnlyList<WebhookDeliveryAttempt> attempts)
    {
        html.Append("<h2>Recent deliveries</h2>\n<table id=\"webhook-attempts\">\n<thead><tr><th scope=\"col\">Time</th><th scope=\"col\">webhook-id</th>")
            .Append("<th scope=\"col\">Attempt</th><th scope=\"col\">Events</th><th scope=\"col\">Status</th><th scope=\"col\">Duration</th>")
            .Append("<th scope=\"col\">Response</th></tr></thead>\n<tbody>\n");
        foreach (var attempt in attempts)
        {
            html.Append("<tr class=\"attempt").Append(attempt.Succeeded ? " succeeded" : " failed").Append(attempt.IsTest ? " test" : "")
                .Append("\"><td class=\"time\">");
            Time(html, attempt.AttemptedAt);
            html.Append("</td><td class=\"webhook-id\">");
            Text(html, attempt.MessageId);
            html.Append("</td><td class=\"attempt-number\">").Append(attempt.Attempt.ToString(CultureInfo.InvariantCulture))
                .Append("</td><td class=\"events\">").Append(attempt.IsTest ? "test" : attempt.EventCount.ToString(CultureInfo.InvariantCulture))
                .Append("</td><td class=\"status\">");
            Text(html, attempt.StatusCode is { } status
                ? status.ToString(CultureInfo.InvariantCulture) + (attempt.Error is { } e ? " — " + e : "")
                : attempt.Error ?? (attempt.Succeeded ? "OK" : "Failed"));
            html.Append("</td><td class=\"duration\">").Append(Milliseconds(attempt.Duration)).Append("</td><td class=\"excerpt\">");
            Text(html, attempt.ResponseExcerpt);
            html.Append("</td></tr>\n");
        }

        html.Append("</tbody>\n</table>\n");
        if (attempts.Count == 0)
        {
            html.Append("<p id=\"webhook-attempts-empty\">No deliveries yet.</p>\n");
        }
    }

    private static void DeadLetters(StringBuilder html, HttpContext context, string self, IReadOnlyList<WebhookDeadLetter> deadLetters)
    {
        html.Append("<h2>Dead letters</h2>\n<table id=\"webhook-dead-letters\">\n<thead><tr><th scope=\"col\">webhook-id</th><th scope=\"col\">Events</th>")
            .Append("<th scope=\"col\">Attempts</th><th scope=\"col\">Last error</th><th scope=\"col\">Formed</th><th scope=\"col\">Given up</th>")
            .Append("<th scope=\"col\"></th></tr></thead>\n<tbody>\n");
        foreach (var letter in deadLetters)
        {
            html.Append("<tr class=\"dead-letter\"><td class=\"webhook-id\">");
            Text(html, letter.MessageId);
            html.Append("</td><td class=\"events\">").Append(letter.EventCount.ToString(CultureInfo.InvariantCulture))
                .Append("</td><td class=\"attempts\">").Append(letter.Attempts.ToString(CultureInfo.InvariantCulture))
                .Append("</td><td class=\"error\">");
            Text(html, letter.LastError);
            html.Append("</td><td class=\"created\">");
            Time(html, letter.CreatedAt);
            html.Append("</td><td class=\"dead-lettered\">");
            Time(html, letter.DeadLetteredAt);
            html.Append("</td><td>");
            PostForm(html, context, "redeliver-" + Uri.EscapeDataString(letter.MessageId), self + "/dead-letters/" + Uri.EscapeDataString(letter.MessageId) + "/redeliver", "Redeliver");
            html.Append("</td></tr>\n");
        }

        html.Append("</tbody>\n</table>\n");
        if (deadLetters.Count == 0)
        {
            html.Append("<p id=\"webhook-dead-letters-empty\">No dead letters.</p>\n");
        }
    }

    private static void Crumbs(StringBuilder html, string listPath)
    {
        html.Append("<nav class=\"crumbs\"><a id=\"back-to-webhooks\" href=\"");
        Text(html, listPath);
        html.Append("\">Webhooks</a></nav>\n");
    }

    private static void BackToDetails(StringBuilder html, string listPath, Guid id)
    {
        html.Append("<p><a id=\"webhook-details-link\" href=\"");
        Text(html, Join(listPath, id.ToString("D")));
        html.Append("\">Back to the webhook</a></p>\n");
    }

    private static void By(StringBuilder html, string? actor)
    {
        if (actor is not null)
        {
            html.Append(" by <span class=\"actor\">");
            Text(html, actor);
            html.Append("</span>");
        }
    }

    private static string Milliseconds(TimeSpan duration) =>
        Math.Round(duration.TotalMilliseconds).ToString("0", CultureInfo.InvariantCulture) + " ms";
}
