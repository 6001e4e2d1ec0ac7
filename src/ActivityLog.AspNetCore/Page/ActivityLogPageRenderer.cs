using System.Text;
using ActivityLog.Formatting;
using Microsoft.AspNetCore.Http.Extensions;
using static ActivityLog.AspNetCore.Page.PageLayout;

namespace ActivityLog.AspNetCore.Page;

/// <summary>
/// Renders the Activity Log list: the filter form (search, date range with presets, actor by name, resource type and
/// name, event type) and the rows (Actor, Description linking to the details, Resource linking to its history, Date).
/// </summary>
/// <remarks>
/// The ids and classes are a stable contract (browser tests and host stylesheets rely on them): <c>table#activity-log</c>,
/// <c>tr.activity</c> with <c>td.actor</c>, <c>td.description</c>, <c>td.resource</c>, <c>td.date &gt; time[datetime]</c>,
/// <c>form#activity-log-filters</c> (fields named as <see cref="PageFilterState"/> reads them), <c>a#load-more</c>,
/// <c>p#activity-log-empty</c> and <c>p#activity-log-error</c>.
/// </remarks>
internal static class ActivityLogPageRenderer
{
    public sealed record Model(
        string Title,
        string BasePath,
        PageFilterState Filters,
        ActivityLogFacets? Facets,
        IReadOnlyList<ActivityLogEvent> Events,
        string? NextCursor,
        string? Error,
        ActivityDescriptionFormatter Formatter,
        PageCulture Culture);

    public static string Render(Model model, string nonce)
    {
        var t = model.Culture.Texts;
        var html = Begin(model.Title, t.Language, nonce, 8192 + (model.Events.Count * 640));
        Form(html, model);

        if (model.Error is not null)
        {
            html.Append("<p id=\"activity-log-error\" class=\"error\" role=\"alert\">");
            Text(html, model.Error);
            html.Append("</p>\n");
        }

        TableStart(html, "activity-log", null, t.Actor, t.Description, t.Resource, t.Date);
        foreach (var activity in model.Events)
        {
            Row(html, activity, model);
        }

        TableEnd(html);
        if (model.Events.Count == 0 && model.Error is null)
        {
            html.Append("<p id=\"activity-log-empty\">");
            Text(html, model.Filters.IsEmpty ? t.NoActivity : t.NoMatch);
            html.Append("</p>\n");
        }

        if (model.NextCursor is not null)
        {
            html.Append("<p class=\"more\">");
            Link(html, model.Filters.ToQueryString(model.NextCursor), t.LoadMore, id: "load-more", cssClass: "button");
            html.Append("</p>\n");
        }

        return End(html, nonce);
    }

    private static void Form(StringBuilder html, Model model)
    {
        var t = model.Culture.Texts;
        var f = model.Filters;
        html.Append("<form id=\"activity-log-filters\" method=\"get\" role=\"search\" aria-label=\"");
        Text(html, t.Filters);
        html.Append("\">\n");
        Input(html, t.Search, "q", f.Search, "search");

        html.Append("<label for=\"filter-range\">");
        Text(html, t.DateRange);
        html.Append("<select id=\"filter-range\" name=\"range\">");
        Option(html, "", t.AllTime, f.Range);
        Option(html, "24h", t.Last24Hours, f.Range);
        Option(html, "7d", t.Last7Days, f.Range);
        Option(html, "30d", t.Last30Days, f.Range);
        Option(html, "custom", t.CustomRange, f.Range);
        html.Append("</select></label>\n<span id=\"custom-range\"").Append(f.Range == "custom" ? "" : " hidden").Append('>');
        Input(html, t.From, "from", f.From, IsDay(f.From) ? "date" : "datetime-local");
        Input(html, t.To, "to", f.To, IsDay(f.To) ? "date" : "datetime-local");
        html.Append("</span>\n<input type=\"hidden\" name=\"tz\" value=\"");
        Text(html, f.TimeZone);
        html.Append("\">\n");

        if (model.Facets is { } facets)
        {
            var actors = facets.Actors.Select(a => (Value: a.Id is null ? a.Type : $"{a.Type}:{a.Id}", Label: a.Name ?? $"{a.Type} {a.Id}")).ToList();
            // Two actors with one name: each gets its type and id, so the viewer can tell them apart.
            var shared = actors.GroupBy(a => a.Label, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet(StringComparer.OrdinalIgnoreCase);
            Select(html, t.Actor, "actor", f.Actor, t.AnyActor, actors.Select(a => (a.Value, shared.Contains(a.Label) ? $"{a.Label} ({a.Value})" : a.Label)));
            Select(html, t.ResourceType, "resource_type", f.ResourceType, t.AnyResourceType, facets.ResourceTypes.Select(r => (r, PageCulture.TypeLabel(r))));
        }
        else
        {
            Input(html, t.Actor, "actor", f.Actor, "text", "user:783");
            Input(html, t.ResourceType, "resource_type", f.ResourceType, "text", "webhook");
        }

        if (f.Resource is not null)
        {
            Input(html, t.Resource, "resource", f.Resource, "text", "webhook:wh_1");
        }

        Input(html, t.ResourceName, "resource_name", f.ResourceName, "text");
        EventSelect(html, model);
        html.Append("<button type=\"submit\">");
        Text(html, t.Apply);
        html.Append("</button>\n");
        if (!f.IsEmpty)
        {
            Link(html, model.BasePath, t.Clear, id: "clear-filters");
        }

        html.Append("</form>\n");
    }

    private static void EventSelect(StringBuilder html, Model model)
    {
        var t = model.Culture.Texts;
        string? current = model.Filters.Event;
        if (model.Facets is not { } facets)
        {
            Input(html, t.EventType, "event", current, "text", "activity_log.user.*");
            return;
        }

        html.Append("<label for=\"filter-event\">");
        Text(html, t.EventType);
        html.Append("<select id=\"filter-event\" name=\"event\">");
        Option(html, "", t.AnyEvent, current);
        bool found = string.IsNullOrEmpty(current);
        foreach (var group in facets.EventNames.GroupBy(n => n.LastIndexOf('.') is int dot and > 0 ? n[..dot] : n))
        {
            string prefix = group.Key;
            string type = PageCulture.TypeLabel(prefix[(prefix.LastIndexOf('.') + 1)..]);
            html.Append("<optgroup label=\"");
            Text(html, type);
            html.Append("\">");
            if (group.Count() > 1)
            {
                found |= Option(html, prefix + ".*", string.Format(System.Globalization.CultureInfo.CurrentCulture, t.AllEventsOf, type), current);
            }

            foreach (string name in group)
            {
                found |= Option(html, name, PageCulture.EventLabel(name), current);
            }

            html.Append("</optgroup>");
        }

        if (!found)
        {
            Option(html, current!, current!, current);
        }

        html.Append("</select></label>\n");
    }

    private static void Row(StringBuilder html, ActivityLogEvent activity, Model model)
    {
        var t = model.Culture.Texts;
        var actor = activity.Actor;
        string sentence = model.Formatter.FormatSentence(activity, model.Culture.DescriptionCulture);
        html.Append("<tr class=\"activity\" data-event=\"");
        Text(html, activity.Name);
        html.Append("\" data-id=\"").Append(activity.Id.ToString("D")).Append("\"><td class=\"actor\" data-label=\"");
        Text(html, t.Actor);
        html.Append('"');
        if (!actor.IsUnknown)
        {
            html.Append(" title=\"");
            Text(html, actor.Id is null ? actor.Type : $"{actor.Type}:{actor.Id}");
            html.Append('"');
        }

        html.Append('>');
        Text(html, ActorName(activity, model.Formatter, model.Culture));
        html.Append("</td>");
        Cell(html, "td", "description", t.Description);
        Link(html, $"{model.BasePath}/events/{activity.Id:D}", sentence);
        html.Append("</td><td class=\"resource\" data-label=\"");
        Text(html, t.Resource);
        html.Append('"');
        if (activity.Resource is { } resource)
        {
            html.Append(" title=\"");
            Text(html, resource.Id is null ? resource.Type ?? "" : $"{resource.Type}:{resource.Id}");
            html.Append("\">");
            string name = resource.Name ?? (resource.Id is null ? resource.Type ?? "" : $"{resource.Type} {resource.Id}");
            if (resource.Type is not null && resource.Id is not null)
            {
                Link(html, HistoryPath(model.BasePath, resource.Type, resource.Id), name);
            }
            else
            {
                Text(html, name);
            }
        }
        else
        {
            html.Append('>');
        }

        html.Append("</td>");
        Cell(html, "td", "date", t.Date);
        Time(html, activity.Timestamp);
        html.Append("</td></tr>\n");
    }

    /// <summary>The actor's name, or the formatter's word for someone unknown ("Someone", or the host's own).</summary>
    public static string ActorName(ActivityLogEvent activity, ActivityDescriptionFormatter formatter, PageCulture culture)
    {
        var actor = activity.Actor;
        if (!actor.IsUnknown && !string.IsNullOrWhiteSpace(actor.Name))
        {
            return actor.Name;
        }

        return formatter.FormatSentence(Someone, culture.DescriptionCulture)[..^UnknownSuffix.Length];
    }

    /// <summary>The history page of a resource.</summary>
    public static string HistoryPath(string basePath, string type, string id) =>
        basePath + "/history" + new QueryBuilder { { "resource_type", type }, { "resource_id", id } }.ToQueryString().Value;

    // The unknown actor's name comes from the formatter, so a host that renamed "Someone" sees its own word here too.
    private const string UnknownSuffix = " x.";
    private static readonly ActivityLogEvent Someone = new() { Name = "activity_log.page.placeholder", Description = "x" };

    private static bool IsDay(string? value) => value is null || value.Length == 10;

    private static void Input(StringBuilder html, string label, string name, string? value, string type, string? placeholder = null)
    {
        html.Append("<label for=\"filter-").Append(name).Append("\">");
        Text(html, label);
        html.Append("<input id=\"filter-").Append(name).Append("\" type=\"").Append(type).Append("\" name=\"").Append(name).Append("\" value=\"");
        Text(html, value);
        html.Append('"');
        if (placeholder is not null)
        {
            html.Append(" placeholder=\"");
            Text(html, placeholder);
            html.Append('"');
        }

        html.Append(" autocomplete=\"off\" spellcheck=\"false\"></label>\n");
    }

    private static void Select(StringBuilder html, string label, string name, string? current, string any, IEnumerable<(string Value, string Label)> options)
    {
        html.Append("<label for=\"filter-").Append(name).Append("\">");
        Text(html, label);
        html.Append("<select id=\"filter-").Append(name).Append("\" name=\"").Append(name).Append("\">");
        Option(html, "", any, current);
        bool found = string.IsNullOrEmpty(current);
        foreach (var (value, text) in options)
        {
            found |= Option(html, value, text, current);
        }

        // A value from a shared link that the list does not hold (cut at the limit) stays chosen.
        if (!found)
        {
            Option(html, current!, current!, current);
        }

        html.Append("</select></label>\n");
    }

    private static bool Option(StringBuilder html, string value, string text, string? current)
    {
        bool selected = string.Equals(value, current ?? "", StringComparison.Ordinal);
        html.Append("<option value=\"");
        Text(html, value);
        html.Append('"').Append(selected ? " selected" : "").Append('>');
        Text(html, text);
        html.Append("</option>");
        return selected && value.Length > 0;
    }
}
