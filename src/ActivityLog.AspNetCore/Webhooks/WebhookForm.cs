using System.Globalization;
using ActivityLog.Webhooks;
using Microsoft.AspNetCore.Http;

namespace ActivityLog.AspNetCore.Webhooks;

/// <summary>
/// What the Create New Webhook form sent, as typed (to show it again next to an error), and its reading into a
/// <see cref="WebhookSubscriptionDraft"/>. The page checks only what it must to build the draft (an absolute URL, a
/// known format, at least one event when "only these" is chosen); everything else is the manager's rule, one place.
/// </summary>
internal sealed record WebhookForm(string Url, string Format, string EventsMode, string Events, string Description)
{
    public static WebhookForm Empty { get; } = new("", "json", "all", "", "");

    /// <summary>The form filled with a webhook's current values, for editing.</summary>
    public static WebhookForm Of(WebhookSubscription webhook) => new(
        webhook.Url.ToString(),
        webhook.Format == WebhookPayloadFormat.JsonLines ? "jsonl" : "json",
        webhook.Events.Count == 0 ? "all" : "selected",
        string.Join(' ', webhook.Events),
        webhook.Description);

    public static WebhookForm From(IFormCollection form) => new(
        Value(form, "url"),
        Value(form, "format"),
        Value(form, "events_mode"),
        Value(form, "events"),
        Value(form, "description"));

    /// <summary>The draft, or <see langword="null"/> with <paramref name="errors"/> keyed by the draft's field names.</summary>
    public WebhookSubscriptionDraft? ToDraft(Dictionary<string, string> errors)
    {
        var draft = new WebhookSubscriptionDraft { Description = Description.Trim() };
        string url = Url.Trim();
        if (url.Length == 0)
        {
            errors["Url"] = "Enter the URL to send to, such as https://example.com/webhooks/activity.";
        }
        else if (!Uri.TryCreate(url, UriKind.Absolute, out var parsed))
        {
            errors["Url"] = "The URL must be absolute, such as https://example.com/webhooks/activity.";
        }
        else
        {
            draft.Url = parsed;
        }

        switch (Format)
        {
            case "json" or "":
                draft.Format = WebhookPayloadFormat.Json;
                break;
            case "jsonl":
                draft.Format = WebhookPayloadFormat.JsonLines;
                break;
            default:
                errors["Format"] = "Choose JSON or JSON Lines.";
                break;
        }

        string[] names = SplitEvents(Events);
        bool selected = EventsMode == "selected" || (EventsMode.Length == 0 && names.Length > 0);
        if (selected && names.Length == 0)
        {
            errors["Events"] = "Name at least one event or pattern (such as activity_log.user.*), or choose Activity Log (all events).";
        }
        else if (selected)
        {
            foreach (string name in names)
            {
                draft.Events.Add(name);
            }
        }
        else if (EventsMode is not ("all" or ""))
        {
            errors["Events"] = "Choose Activity Log (all events) or name the events.";
        }

        return errors.Count == 0 ? draft : null;
    }

    /// <summary>Names and patterns separated by commas or white space, as the Activity Log page's event filter takes them.</summary>
    public static string[] SplitEvents(string value) =>
        value.Split([',', ' ', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>
    /// A time typed in a <c>datetime-local</c> input (<c>2026-12-04T09:30</c>, taken as UTC) or ISO 8601 with an offset.
    /// </summary>
    public static bool TryParseTime(string value, out DateTimeOffset time) =>
        DateTimeOffset.TryParse(value.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time);

    public static string Value(IFormCollection form, string name)
    {
        var values = form[name];
        return values.Count == 0 ? "" : values[0] ?? "";
    }
}
