using System.Text;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Mvc;

namespace ActivityLog.Samples.WebApp;

/// <summary>
/// The home page and the endpoints behind its buttons. Each endpoint records one activity with a single
/// <c>Record(…)</c>: the actor, the account and the request context come from <c>UseActivityLog()</c>.
/// </summary>
internal static class SampleActivities
{
    public static void MapSampleActivities(this IEndpointRouteBuilder app)
    {
        // Resolved from the container rather than static: every host (each test's) keeps its own streams.
        _ = app.ServiceProvider.GetRequiredService<StreamStore>();
        app.MapGet("/", (HttpContext http, IAntiforgery antiforgery, string? recorded) => HomePage(http, antiforgery, recorded));

        var actions = app.MapGroup("").RequireAuthorization();

        actions.MapPost("/domains", (IActivityRecorder recorder, [FromForm] string? domain) =>
        {
            string name = Required(domain, "example.com");
            recorder.Record("activity_log.domain.added", resource: new ActivityResource("domain", NewId("dom"), name));
            return Recorded("domain-added");
        });

        // The field's name is whatever the user typed: the Activity Log page must show it as text, even "<script>".
        actions.MapPost("/fields", (IActivityRecorder recorder, [FromForm] string? name) =>
        {
            recorder.Record("activity_log.field.created", resource: new ActivityResource("field", NewId("fld"), Required(name, "First Name")));
            return Recorded("field-created");
        });

        actions.MapPost("/sandboxes/delete", (IActivityRecorder recorder, [FromForm] string? name) =>
        {
            recorder.Record("activity_log.sandbox.deleted", resource: new ActivityResource("sandbox", NewId("sbx"), Required(name, "QA")));
            return Recorded("sandbox-deleted");
        });

        actions.MapPost("/invitations", (IActivityRecorder recorder, [FromForm] string? email) =>
        {
            recorder.Record("activity_log.user.invited", resource: new ActivityResource("user", NewId("usr"), Required(email, "email@example.com")));
            return Recorded("user-invited");
        });

        actions.MapPost("/webhooks/remove", (IActivityRecorder recorder) =>
        {
            RecordWebhookRemoved(recorder);
            return Recorded("webhook-removed");
        });

        // The user's name is filtered by the redaction rule "user → name" in appsettings.json: the log shows
        // "[FILTERED]" for both sides of the change.
        actions.MapPost("/profile", (HttpContext http, IActivityRecorder recorder, [FromForm] string? name) =>
        {
            var user = DemoUsers.Current(http.User);
            if (user is null)
            {
                return Results.Forbid();
            }

            RecordProfileUpdated(recorder, user, Required(name, user.Name));
            return Recorded("profile-updated");
        });

        actions.MapPost("/streams", (HttpContext http, IActivityRecorder recorder, [FromForm] string? retention, [FromForm] string? tags) =>
            UpdateStream(http, recorder, retention, tags));
    }

    /// <summary>
    /// The "Transactional" sending stream's settings per account: the sample's stand-in for the app's own database,
    /// so that each change records its real before and after (the Activity Log page rebuilds the stream's state at
    /// any time from these changes, on its history page).
    /// </summary>
    internal sealed class StreamStore
    {
        public System.Collections.Concurrent.ConcurrentDictionary<string, StreamSettings> Streams { get; } = new(StringComparer.Ordinal);
    }

    internal sealed record StreamSettings(int RetentionDays, string[] Tags);

    private static IResult UpdateStream(HttpContext http, IActivityRecorder recorder, string? retention, string? tags)
    {
        var user = DemoUsers.Current(http.User);
        if (user is null)
        {
            return Results.Forbid();
        }

        int days = int.TryParse(retention, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int d) && d is > 0 and <= 3650 ? d : 30;
        string[] tagList = (tags ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var next = new StreamSettings(days, tagList);
        StreamSettings? previous = null;
        http.RequestServices.GetRequiredService<StreamStore>().Streams.AddOrUpdate(user.AccountId, next, (_, old) => { previous = old; return next; });
        var stream = new ActivityResource("sending_stream", "ss_transactional", "Transactional");
        if (previous is null)
        {
            recorder.Record("activity_log.sending_stream.created", resource: stream, changes:
            [
                ActivityChange.Of("retention_days", null, days),
                ActivityChange.Of("settings", null, new Dictionary<string, object?> { ["tags"] = tagList }),
            ]);
        }
        else
        {
            recorder.Record("activity_log.sending_stream.updated", resource: stream, changes:
            [
                ActivityChange.Of("retention_days", previous.RetentionDays, days),
                ActivityChange.Of("settings", new Dictionary<string, object?> { ["tags"] = previous.Tags }, new Dictionary<string, object?> { ["tags"] = tagList }),
            ]);
        }

        return Recorded("stream-updated");
    }

    private static void RecordWebhookRemoved(IActivityRecorder recorder) =>
        recorder.Record("activity_log.webhook.removed",
            resource: new ActivityResource("webhook", "wh_logging", "Logging"),
            related: [new ActivityResource("sending_stream", "ss_transactional", "Transactional")]);

    private static void RecordProfileUpdated(IActivityRecorder recorder, DemoUser user, string newName) =>
        recorder.Record("activity_log.user.updated",
            resource: new ActivityResource("user", user.Id, user.Name),
            changes: [ActivityChange.Of("name", user.Name, newName)]);

    private static string Required(string? value, string fallback) => string.IsNullOrWhiteSpace(value) ? fallback : value.Trim();

    private static string NewId(string prefix) => $"{prefix}_{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    private static IResult Recorded(string what) => Results.Redirect("/?recorded=" + Uri.EscapeDataString(what));

    private static IResult HomePage(HttpContext http, IAntiforgery antiforgery, string? recorded)
    {
        var user = DemoUsers.Current(http.User);
        var body = new StringBuilder();
        if (user is null)
        {
            body.Append("<p id=\"welcome\">This sample records activities as you click through it and shows them on the ")
                .Append("Activity Log page. <a href=\"/sign-in\">Sign in</a> as one of the demo users ")
                .Append(string.Join(" or ", DemoUsers.All.Select(u => Html.Encode($"{u.Name} (account {u.AccountId})"))))
                .Append(" with the password <code>demo</code>.</p>");
            return Html.Page(http, antiforgery, "ActivityLog sample", body.ToString());
        }

        if (recorded is not null)
        {
            body.Append("<p id=\"recorded\" class=\"notice\">Recorded (").Append(Html.Encode(recorded))
                .Append("). See it on the <a href=\"/settings/activity-log\">Activity Log</a>.</p>");
        }

        string token = Html.AntiforgeryField(antiforgery, http);
        void Action(string title, string action, string id, string fields, string button) =>
            body.Append("<section><h2>").Append(Html.Encode(title)).Append("</h2>")
                .Append("<form method=\"post\" action=\"").Append(action).Append("\">").Append(token).Append(fields)
                .Append(" <button id=\"").Append(id).Append("\" type=\"submit\">").Append(Html.Encode(button)).Append("</button></form></section>");
        static string Input(string id, string name, string label, string value) =>
            $"<label for=\"{id}\">{Html.Encode(label)}</label><input id=\"{id}\" name=\"{name}\" value=\"{Html.Encode(value)}\">";

        body.Append("<p>Each button records one activity in account <b>").Append(Html.Encode(user.AccountId))
            .Append("</b> as <b>").Append(Html.Encode(user.Name)).Append("</b>.</p>");
        Action("Add a domain", "/domains", "add-domain", Input("domain", "domain", "Domain", "example.com"), "Add domain");
        Action("Create a field (type any name)", "/fields", "create-field", Input("field-name", "name", "Field name", "First Name"), "Create field");
        Action("Delete a sandbox", "/sandboxes/delete", "delete-sandbox", Input("sandbox-name", "name", "Sandbox", "QA"), "Delete sandbox");
        Action("Invite a user", "/invitations", "invite-user", Input("invite-email", "email", "Email", "email@example.com"), "Invite");
        Action("Remove the webhook Logging from Transactional", "/webhooks/remove", "remove-webhook", "", "Remove webhook");
        Action("Update your profile (the name change is filtered)", "/profile", "update-profile",
            Input("profile-name", "name", "Name", user.Name + " Jr."), "Update profile");
        Action("Change the Transactional stream's settings (its history rebuilds each state)", "/streams", "update-stream",
            Input("stream-retention", "retention", "Retention (days)", "30") + " " + Input("stream-tags", "tags", "Tags (comma-separated)", "billing"), "Save settings");
        body.Append("<p>A failed sign-in is recorded too: signed out, try \"Sign in with GitHub\" on the sign-in page.</p>");
        return Html.Page(http, antiforgery, "ActivityLog sample", body.ToString());
    }
}
