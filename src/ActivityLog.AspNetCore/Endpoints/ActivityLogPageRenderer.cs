using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Unicode;
using ActivityLog.Formatting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Extensions;

namespace ActivityLog.AspNetCore.Endpoints;

/// <summary>
/// Renders the Activity Log page: a small, server-rendered HTML document with inline style and one inline script
/// (nonce-protected) that shows dates in the viewer's locale and appends the next page in place.
/// </summary>
/// <remarks>
/// Hand-written HTML rather than Razor: the package has no view engine or front-end build, and every value goes
/// through <see cref="HtmlEncoder"/> here. The ids and classes below are a stable contract (browser tests and host
/// stylesheets rely on them): <c>table#activity-log</c>, <c>tr.activity</c> with <c>td.actor</c>, <c>td.description</c>,
/// <c>td.resource</c>, <c>td.date &gt; time[datetime]</c>, <c>form#activity-log-filters</c>, <c>a#load-more</c>,
/// <c>p#activity-log-empty</c> and <c>p#activity-log-error</c>.
/// </remarks>
internal static class ActivityLogPageRenderer
{
    // Letters of every script stay readable; markup characters and quotes are still encoded.
    private static readonly HtmlEncoder Encoder = HtmlEncoder.Create(UnicodeRanges.All);

    internal const string Style = """
        body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem;color:#1f2328;background:#fff}
        h1{font-size:1.5rem;margin:0 0 1rem}
        form{display:flex;flex-wrap:wrap;gap:.75rem;align-items:flex-end;margin-bottom:1rem}
        label{display:flex;flex-direction:column;font-size:.8rem;color:#59636e;gap:.25rem}
        input{font:inherit;padding:.35rem .5rem;border:1px solid #d1d9e0;border-radius:6px;min-width:14rem}
        button,#load-more{font:inherit;padding:.4rem .9rem;border:1px solid #d1d9e0;border-radius:6px;background:#f6f8fa;color:#1f2328;text-decoration:none;cursor:pointer}
        table{border-collapse:collapse;width:100%}
        th,td{text-align:left;padding:.6rem .75rem;border-bottom:1px solid #d1d9e0;vertical-align:top}
        th{font-size:.8rem;text-transform:uppercase;letter-spacing:.03em;color:#59636e}
        td.date{white-space:nowrap;color:#59636e}
        .more{margin-top:1rem}
        #activity-log-error{color:#d1242f}
        """;

    private const string Script = """
        (function () {
          function localize(root) {
            root.querySelectorAll('td.date time[datetime]').forEach(function (t) {
              var d = new Date(t.getAttribute('datetime'));
              if (!isNaN(d.getTime())) { t.textContent = d.toLocaleString(); }
            });
          }
          localize(document);
          var more = document.getElementById('load-more');
          if (!more || !window.fetch || !window.DOMParser) { return; }
          more.addEventListener('click', function (ev) {
            ev.preventDefault();
            if (more.getAttribute('aria-busy') === 'true') { return; }
            more.setAttribute('aria-busy', 'true');
            fetch(more.href, { credentials: 'same-origin', headers: { 'Accept': 'text/html' } })
              .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.text(); })
              .then(function (html) {
                var doc = new DOMParser().parseFromString(html, 'text/html');
                var body = document.querySelector('#activity-log tbody');
                doc.querySelectorAll('#activity-log tr.activity').forEach(function (row) {
                  var copy = document.importNode(row, true);
                  localize(copy);
                  body.appendChild(copy);
                });
                var next = doc.getElementById('load-more');
                if (next) { more.setAttribute('href', next.getAttribute('href')); more.removeAttribute('aria-busy'); }
                else { more.parentNode.removeChild(more); }
              })
              .catch(function () { window.location.assign(more.href); });
          });
        })();
        """;

    /// <summary>The filter values as the viewer typed them, for the form and the load-more link.</summary>
    public sealed record Filters(string? Actor, string? Resource, string? Event);

    public static string Render(
        string title,
        Filters filters,
        IReadOnlyList<ActivityLogEvent> events,
        string? nextCursor,
        string? error,
        ActivityDescriptionFormatter formatter,
        string nonce)
    {
        var html = new StringBuilder(4096 + (events.Count * 512));
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<meta name=\"referrer\" content=\"same-origin\">\n<title>");
        Text(html, title);
        html.Append("</title>\n<style nonce=\"").Append(nonce).Append("\">").Append(Style).Append("</style>\n</head>\n<body>\n<main>\n<h1>");
        Text(html, title);
        html.Append("</h1>\n");

        html.Append("<form id=\"activity-log-filters\" method=\"get\">\n");
        Input(html, "Actor", "actor", filters.Actor, "user:783");
        Input(html, "Resource", "resource", filters.Resource, "webhook:wh_1 or webhook");
        Input(html, "Event", "event", filters.Event, "activity_log.user.*");
        html.Append("<button type=\"submit\">Filter</button>\n</form>\n");

        if (error is not null)
        {
            html.Append("<p id=\"activity-log-error\" role=\"alert\">");
            Text(html, error);
            html.Append("</p>\n");
        }

        html.Append("<table id=\"activity-log\">\n<thead><tr><th scope=\"col\">Actor</th><th scope=\"col\">Description</th>")
            .Append("<th scope=\"col\">Resource</th><th scope=\"col\">Date</th></tr></thead>\n<tbody>\n");
        string someone = formatter.FormatSentence(Someone)[..^UnknownSuffix.Length];
        foreach (var activity in events)
        {
            Row(html, activity, formatter, someone);
        }

        html.Append("</tbody>\n</table>\n");
        if (events.Count == 0 && error is null)
        {
            html.Append("<p id=\"activity-log-empty\">")
                .Append(filters == new Filters(null, null, null) ? "No activity yet." : "No activity matches these filters.")
                .Append("</p>\n");
        }

        if (nextCursor is not null)
        {
            var query = new QueryBuilder { { "cursor", nextCursor } };
            AddIfSet(query, "actor", filters.Actor);
            AddIfSet(query, "resource", filters.Resource);
            AddIfSet(query, "event", filters.Event);
            html.Append("<p class=\"more\"><a id=\"load-more\" href=\"");
            Text(html, query.ToQueryString().Value!);
            html.Append("\">Load more</a></p>\n");
        }

        html.Append("</main>\n<script nonce=\"").Append(nonce).Append("\">").Append(Script).Append("</script>\n</body>\n</html>\n");
        return html.ToString();
    }

    private static void Row(StringBuilder html, ActivityLogEvent activity, ActivityDescriptionFormatter formatter, string someone)
    {
        var actor = activity.Actor;
        string actorName = actor.IsUnknown || string.IsNullOrWhiteSpace(actor.Name) ? someone : actor.Name;
        html.Append("<tr class=\"activity\" data-event=\"");
        Text(html, activity.Name);
        html.Append("\"><td class=\"actor\"");
        if (!actor.IsUnknown)
        {
            html.Append(" title=\"");
            Text(html, actor.Id is null ? actor.Type : $"{actor.Type}:{actor.Id}");
            html.Append('"');
        }

        html.Append('>');
        Text(html, actorName);
        html.Append("</td><td class=\"description\">");
        Text(html, formatter.FormatSentence(activity));
        html.Append("</td><td class=\"resource\"");
        if (activity.Resource is { } resource)
        {
            html.Append(" title=\"");
            Text(html, resource.Id is null ? resource.Type ?? "" : $"{resource.Type}:{resource.Id}");
            html.Append("\">");
            Text(html, resource.Name ?? (resource.Id is null ? resource.Type ?? "" : $"{resource.Type} {resource.Id}"));
        }
        else
        {
            html.Append('>');
        }

        var utc = activity.Timestamp.UtcDateTime;
        html.Append("</td><td class=\"date\"><time datetime=\"")
            .Append(utc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture))
            .Append("\">")
            .Append(utc.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture))
            .Append("</time></td></tr>\n");
    }

    // The unknown actor's name comes from the formatter, so a host that renamed "Someone" sees its own word here too.
    private const string UnknownSuffix = " x.";
    private static readonly ActivityLogEvent Someone = new() { Name = "activity_log.page.placeholder", Description = "x" };

    private static void Input(StringBuilder html, string label, string name, string? value, string placeholder)
    {
        html.Append("<label>").Append(label).Append(" <input type=\"text\" name=\"").Append(name).Append("\" value=\"");
        Text(html, value ?? "");
        html.Append("\" placeholder=\"");
        Text(html, placeholder);
        html.Append("\" autocomplete=\"off\" spellcheck=\"false\"></label>\n");
    }

    private static void AddIfSet(QueryBuilder query, string name, string? value)
    {
        if (!string.IsNullOrWhiteSpace(value))
        {
            query.Add(name, value);
        }
    }

    private static void Text(StringBuilder html, string value) => html.Append(Encoder.Encode(value));

    /// <summary>A fresh nonce for the page's inline style and script (the CSP allows nothing else).</summary>
    public static string NewNonce() => Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

    /// <summary>The page's Content-Security-Policy for a nonce.</summary>
    public static string ContentSecurityPolicy(string nonce) =>
        $"default-src 'none'; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; connect-src 'self'; img-src 'self'; " +
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
}
