using System.Globalization;
using System.Text;
using ActivityLog.Formatting;
using Microsoft.AspNetCore.Http.Extensions;
using static ActivityLog.AspNetCore.Page.PageLayout;

namespace ActivityLog.AspNetCore.Page;

/// <summary>
/// Renders a resource's history: its events oldest first (<c>table#resource-history</c>, rows <c>tr.activity</c>), its
/// state at a point in time (<c>table#resource-state</c>, <c>tr.field</c> with <c>th</c> and <c>td.value</c>) and the
/// difference between two (<c>table#resource-diff</c>), chosen in <c>form#history-time</c> (<c>at</c>, <c>compare</c>).
/// </summary>
internal static class ResourceHistoryRenderer
{
    public sealed record Model(
        string Title,
        string BasePath,
        string ResourceType,
        string ResourceId,
        string? At,
        string? Compare,
        string? TimeZone,
        IReadOnlyList<ActivityLogEvent> Events,
        string? NextCursor,
        ActivityResourceState? State,
        ActivityResourceDiff? Diff,
        string? Error,
        ActivityDescriptionFormatter Formatter,
        PageCulture Culture,
        string Mask);

    public static string Render(Model model, string nonce)
    {
        var t = model.Culture.Texts;
        var html = Begin(model.Title, t.Language, nonce);
        html.Append("<p>");
        Link(html, model.BasePath, t.BackToLog, id: "back-to-log");
        html.Append("</p>\n<h2 id=\"history-heading\">");
        string name = model.Events.Select(e => e.Resource?.Name).LastOrDefault(n => n is not null) ?? $"{PageCulture.TypeLabel(model.ResourceType)} {model.ResourceId}";
        Text(html, string.Format(CultureInfo.CurrentCulture, t.HistoryOf, name));
        html.Append("</h2>\n");
        TimeForm(html, model);

        if (model.Error is not null)
        {
            html.Append("<p id=\"activity-log-error\" class=\"error\" role=\"alert\">");
            Text(html, model.Error);
            html.Append("</p>\n");
        }

        if (model.Diff is { } diff)
        {
            html.Append("<h2 id=\"diff-heading\">");
            Text(html, string.Format(CultureInfo.CurrentCulture, t.DifferenceBetween, Stamp(diff.Before.At), Stamp(diff.After.At)));
            html.Append("</h2>\n");
            if (diff.Changes.Count == 0)
            {
                html.Append("<p id=\"resource-no-difference\">");
                Text(html, t.NoDifference);
                html.Append("</p>\n");
            }
            else
            {
                EventDetailsRenderer.ChangeTable(html, "resource-diff", "diff-heading", diff.Changes, model.Mask, t);
            }
        }
        else if (model.State is { } state)
        {
            State(html, state, model);
        }

        Events(html, model);
        if (model.NextCursor is not null)
        {
            var query = new QueryBuilder { { "resource_type", model.ResourceType }, { "resource_id", model.ResourceId }, { "cursor", model.NextCursor } };
            html.Append("<p class=\"more\">");
            Link(html, model.BasePath + "/history" + query.ToQueryString().Value, t.LoadMore, id: "load-more", cssClass: "button");
            html.Append("</p>\n");
        }

        return End(html, nonce);
    }

    private static void TimeForm(StringBuilder html, Model model)
    {
        var t = model.Culture.Texts;
        html.Append("<form id=\"history-time\" method=\"get\" aria-label=\"");
        Text(html, t.PointInTime);
        html.Append("\">\n");
        Hidden(html, "resource_type", model.ResourceType);
        Hidden(html, "resource_id", model.ResourceId);
        Hidden(html, "tz", model.TimeZone);
        TimeInput(html, t.PointInTime, "at", model.At);
        TimeInput(html, t.CompareWith, "compare", model.Compare);
        html.Append("<button type=\"submit\">");
        Text(html, t.Show);
        html.Append("</button>\n</form>\n");
    }

    private static void State(StringBuilder html, ActivityResourceState state, Model model)
    {
        var t = model.Culture.Texts;
        html.Append("<h2 id=\"state-heading\">");
        Text(html, string.Format(CultureInfo.CurrentCulture, t.StateAt, Stamp(state.At)));
        html.Append("</h2>\n");
        string? note = state.EventCount == 0 ? t.NothingRecordedYet : state.IsDeleted ? t.Deleted : !state.SeenCreated ? t.PartialHistory : null;
        if (note is not null)
        {
            html.Append("<p id=\"resource-state-note\" class=\"note\">");
            Text(html, note);
            html.Append("</p>\n");
        }

        if (state.EventCount == 0)
        {
            return;
        }

        TableStart(html, "resource-state", "state-heading", t.Field, t.Value);
        foreach (var (field, value) in state.Fields)
        {
            foreach (var row in ValueRows.Leaves(field, value))
            {
                html.Append("<tr class=\"field\">");
                Cell(html, "th", null, t.Field);
                Text(html, row.Path);
                html.Append("</th>");
                Cell(html, "td", "value", t.Value);
                ValueRows.Write(html, row.To, model.Mask, t.NoValue);
                html.Append("</td></tr>\n");
            }
        }

        TableEnd(html);
    }

    private static void Events(StringBuilder html, Model model)
    {
        var t = model.Culture.Texts;
        TableStart(html, "resource-history", "history-heading", t.Date, t.Description, t.Changes);
        foreach (var activity in model.Events)
        {
            html.Append("<tr class=\"activity\" data-event=\"");
            Text(html, activity.Name);
            html.Append("\" data-id=\"").Append(activity.Id.ToString("D")).Append("\">");
            Cell(html, "td", "date", t.Date);
            Time(html, activity.Timestamp);
            html.Append("</td>");
            Cell(html, "td", "description", t.Description);
            Link(html, $"{model.BasePath}/events/{activity.Id:D}", model.Formatter.FormatSentence(activity, model.Culture.DescriptionCulture));
            html.Append("</td>");
            Cell(html, "td", "state", t.Changes);
            var query = new QueryBuilder
            {
                { "resource_type", model.ResourceType },
                { "resource_id", model.ResourceId },
                { "at", activity.Timestamp.UtcDateTime.ToString(InstantFormat, CultureInfo.InvariantCulture) },
            };
            Link(html, model.BasePath + "/history" + query.ToQueryString().Value, t.StateAfterThis, cssClass: "state-link");
            html.Append("</td></tr>\n");
        }

        TableEnd(html);
    }

    private static string Stamp(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    private static void Hidden(StringBuilder html, string name, string? value)
    {
        html.Append("<input type=\"hidden\" name=\"").Append(name).Append("\" value=\"");
        Text(html, value);
        html.Append("\">\n");
    }

    private static void TimeInput(StringBuilder html, string label, string name, string? value)
    {
        // A link's instant (…Z) does not fit datetime-local; the field then shows it as text so that it is kept.
        bool local = value is null || !value.EndsWith('Z');
        html.Append("<label for=\"history-").Append(name).Append("\">");
        Text(html, label);
        html.Append("<input id=\"history-").Append(name).Append("\" name=\"").Append(name).Append("\" type=\"")
            .Append(local ? "datetime-local\" step=\"1" : "text").Append("\" value=\"");
        Text(html, value);
        html.Append("\"></label>\n");
    }
}
