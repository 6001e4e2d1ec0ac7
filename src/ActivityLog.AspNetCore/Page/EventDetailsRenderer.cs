using System.Text;
using System.Text.Json;
using ActivityLog.Formatting;
using ActivityLog.Serialization;
using static ActivityLog.AspNetCore.Page.PageLayout;

namespace ActivityLog.AspNetCore.Page;

/// <summary>
/// Renders one event's details: the sentence, actor, resource and related resources, the changes as a from → to table,
/// the context, the metadata, and the event as the webhook payload carries it. Ids: <c>#event-details</c>,
/// <c>table#event-changes</c> (<c>tr.change</c> with <c>td.field</c>, <c>td.from</c>, <c>td.to</c>), <c>#event-context</c>,
/// <c>table#event-metadata</c>, <c>pre#event-payload</c>, <c>a#event-history</c>, <c>#event-not-found</c>.
/// </summary>
internal static class EventDetailsRenderer
{
    public sealed record Model(
        string Title,
        string BasePath,
        ActivityLogEvent? Event,
        ActivityDescriptionFormatter Formatter,
        PageCulture Culture,
        string Mask,
        ActivityJsonFields PayloadFields);

    public static string Render(Model model, string nonce)
    {
        var t = model.Culture.Texts;
        var html = Begin(model.Title, t.Language, nonce);
        html.Append("<p>");
        Link(html, model.BasePath, t.BackToLog, id: "back-to-log");
        html.Append("</p>\n");
        if (model.Event is not { } activity)
        {
            html.Append("<p id=\"event-not-found\" role=\"alert\">");
            Text(html, t.EventNotFound);
            html.Append("</p>\n");
            return End(html, nonce);
        }

        html.Append("<section id=\"event-details\" aria-labelledby=\"event-sentence\">\n<h2 id=\"event-sentence\">");
        Text(html, model.Formatter.FormatSentence(activity, model.Culture.DescriptionCulture));
        html.Append("</h2>\n<dl>");
        Term(html, t.Date);
        Time(html, activity.Timestamp);
        html.Append("</dd>");
        Term(html, t.EventName);
        html.Append("<code>");
        Text(html, activity.Name);
        html.Append("</code> (");
        Text(html, PageCulture.EventLabel(activity.Name));
        html.Append(")</dd>");
        Term(html, t.EventId);
        html.Append("<code>").Append(activity.Id.ToString("D")).Append("</code></dd>");
        var actor = activity.Actor;
        Term(html, t.Actor);
        Text(html, ActivityLogPageRenderer.ActorName(activity, model.Formatter, model.Culture));
        if (!actor.IsUnknown)
        {
            html.Append(" <span class=\"note\">(");
            Text(html, $"{t.Type}: {actor.Type}");
            if (actor.Id is not null)
            {
                Text(html, $", {t.Id}: {actor.Id}");
            }

            html.Append(")</span>");
        }

        html.Append("</dd>");
        if (activity.Resource is { } resource)
        {
            Term(html, t.Resource);
            Resource(html, model, resource, historyId: "event-history");
            html.Append("</dd>");
        }

        if (activity.RelatedResources.Count > 0)
        {
            Term(html, t.RelatedResources);
            html.Append("<ul>");
            foreach (var related in activity.RelatedResources)
            {
                html.Append("<li>");
                Resource(html, model, related, historyId: null);
                html.Append("</li>");
            }

            html.Append("</ul></dd>");
        }

        html.Append("</dl>\n</section>\n");
        Changes(html, activity, model);
        Context(html, activity.Context, t);
        Metadata(html, activity.Metadata, model);

        html.Append("<h2 id=\"payload-heading\">");
        Text(html, t.Payload);
        html.Append("</h2>\n<pre id=\"event-payload\" tabindex=\"0\" aria-labelledby=\"payload-heading\">");
        Text(html, Indented(ActivityJsonSerializer.SerializePayload([activity], model.PayloadFields)));

        html.Append("</pre>\n");
        return End(html, nonce);
    }

    /// <summary>Opens a definition; the caller writes the value and closes it with <c>&lt;/dd&gt;</c>.</summary>
    private static void Term(StringBuilder html, string term)
    {
        html.Append("<dt>");
        Text(html, term);
        html.Append("</dt><dd>");
    }

    private static void Resource(StringBuilder html, Model model, ActivityResource resource, string? historyId)
    {
        var t = model.Culture.Texts;
        Text(html, resource.Name ?? resource.Id ?? resource.Type);
        html.Append(" <span class=\"note\">(");
        Text(html, $"{t.Type}: {resource.Type}");
        if (resource.Id is not null)
        {
            Text(html, $", {t.Id}: {resource.Id}");
        }

        html.Append(")</span>");
        if (resource.Type is not null && resource.Id is not null)
        {
            html.Append(' ');
            Link(html, ActivityLogPageRenderer.HistoryPath(model.BasePath, resource.Type, resource.Id), t.History, id: historyId);
        }
    }

    private static void Changes(StringBuilder html, ActivityLogEvent activity, Model model)
    {
        var t = model.Culture.Texts;
        html.Append("<h2 id=\"changes-heading\">");
        Text(html, t.Changes);
        html.Append("</h2>\n");
        if (activity.Changes.Count == 0)
        {
            html.Append("<p id=\"event-no-changes\">");
            Text(html, t.NoChanges);
            html.Append("</p>\n");
            return;
        }

        ChangeTable(html, "event-changes", "changes-heading", activity.Changes, model.Mask, t);
    }

    /// <summary>A from → to table of changes (also the history page's comparison).</summary>
    public static void ChangeTable(StringBuilder html, string id, string labelledBy, IEnumerable<ActivityChange> changes, string mask, ActivityLogPageTexts t)
    {
        TableStart(html, id, labelledBy, t.Field, t.Before, t.After);
        foreach (var change in changes)
        {
            foreach (var row in ValueRows.Compare(change.Field, change.From, change.To))
            {
                html.Append("<tr class=\"change\">");
                Cell(html, "th", "field", t.Field);
                Text(html, row.Path);
                html.Append("</th>");
                Cell(html, "td", "from", t.Before);
                ValueRows.Write(html, row.From, mask, t.NoValue);
                html.Append("</td>");
                Cell(html, "td", "to", t.After);
                ValueRows.Write(html, row.To, mask, t.NoValue);
                html.Append("</td></tr>\n");
            }
        }

        TableEnd(html);
    }

    private static void Context(StringBuilder html, ActivityRequestContext? context, ActivityLogPageTexts t)
    {
        if (context is null)
        {
            return;
        }

        html.Append("<h2>");
        Text(html, t.Context);
        html.Append("</h2>\n<dl id=\"event-context\">");
        (string Label, string? Value)[] items =
        [
            (t.IpAddress, context.IpAddress), (t.UserAgent, context.UserAgent), (t.AuthMethod, context.AuthMethod), (t.CorrelationId, context.CorrelationId),
        ];
        foreach (var (label, value) in items)
        {
            if (value is not null)
            {
                html.Append("<dt>");
                Text(html, label);
                html.Append("</dt><dd>");
                Text(html, value);
                html.Append("</dd>");
            }
        }

        html.Append("</dl>\n");
    }

    private static void Metadata(StringBuilder html, IReadOnlyDictionary<string, object?>? metadata, Model model)
    {
        if (metadata is not { Count: > 0 })
        {
            return;
        }

        var t = model.Culture.Texts;
        html.Append("<h2 id=\"metadata-heading\">");
        Text(html, t.Metadata);
        html.Append("</h2>\n");
        TableStart(html, "event-metadata", "metadata-heading", t.Field, t.Value);
        foreach (var (key, value) in metadata)
        {
            foreach (var row in ValueRows.Leaves(key, value))
            {
                html.Append("<tr>");
                Cell(html, "th", null, t.Field);
                Text(html, row.Path);
                html.Append("</th>");
                Cell(html, "td", null, t.Value);
                ValueRows.Write(html, row.To, model.Mask, t.NoValue);
                html.Append("</td></tr>\n");
            }
        }

        TableEnd(html);
    }

    // The payload as a webhook receiver gets it, indented for reading, with the payload's own encoder.
    private static string Indented(byte[] payload)
    {
        using var document = JsonDocument.Parse(payload);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(payload.Length * 2);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = ActivityJsonSerializer.GetOptions().Encoder }))
        {
            document.RootElement.WriteTo(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
