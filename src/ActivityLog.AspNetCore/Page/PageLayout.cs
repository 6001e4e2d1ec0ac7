using System.Text;
using System.Text.Encodings.Web;
using System.Text.Unicode;
using Microsoft.AspNetCore.Http;

namespace ActivityLog.AspNetCore.Page;

/// <summary>
/// The document every Activity Log view shares: head, style (light and dark, visible focus, readable at 360 px), one
/// nonce-protected script, and the security headers.
/// </summary>
/// <remarks>
/// Hand-written HTML rather than Razor: the package has no view engine or front-end build, and every value goes
/// through <see cref="HtmlEncoder"/> here (<see cref="Text"/>).
/// </remarks>
internal static class PageLayout
{
    // Letters of every script stay readable; markup characters and quotes are still encoded.
    private static readonly HtmlEncoder Encoder = HtmlEncoder.Create(UnicodeRanges.All);

    internal const string Style = """
        :root{color-scheme:light dark;--fg:#1f2328;--muted:#59636e;--bg:#fff;--line:#d1d9e0;--panel:#f6f8fa;--accent:#0969da;--bad:#d1242f;--mark:#fff8c5}
        @media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--bg:#0d1117;--line:#3d444d;--panel:#151b23;--accent:#4493f8;--bad:#ff7b72;--mark:#3b2e00}}
        *{box-sizing:border-box}
        body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;padding:1rem;color:var(--fg);background:var(--bg);line-height:1.45}
        main{max-width:72rem;margin:0 auto}
        h1{font-size:1.5rem;margin:0 0 1rem}
        h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
        a{color:var(--accent)}
        :focus-visible{outline:3px solid var(--accent);outline-offset:2px}
        form{display:flex;flex-wrap:wrap;gap:.75rem;align-items:flex-end;margin-bottom:1rem}
        label{display:flex;flex-direction:column;font-size:.85rem;color:var(--muted);gap:.25rem;max-width:100%}
        input,select{font:inherit;padding:.35rem .5rem;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--fg);min-width:12rem;max-width:100%}
        button,.button{font:inherit;padding:.4rem .9rem;border:1px solid var(--line);border-radius:6px;background:var(--panel);color:var(--fg);text-decoration:none;cursor:pointer;display:inline-block}
        table{border-collapse:collapse;width:100%}
        th,td{text-align:left;padding:.6rem .75rem;border-bottom:1px solid var(--line);vertical-align:top;overflow-wrap:anywhere}
        thead th{font-size:.8rem;text-transform:uppercase;letter-spacing:.03em;color:var(--muted)}
        tbody th{font-weight:600}
        td.date{white-space:nowrap;color:var(--muted)}
        dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:0}
        dt{color:var(--muted)}
        dd{margin:0;overflow-wrap:anywhere}
        pre{background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:.75rem;overflow:auto;white-space:pre-wrap;overflow-wrap:anywhere}
        .filtered{background:var(--mark);padding:0 .2rem;border-radius:3px}
        .none{color:var(--muted);font-style:italic}
        .note{color:var(--muted)}
        .more{margin-top:1rem}
        .error{color:var(--bad)}
        @media (max-width:40rem){
          body{padding:.5rem}
          table.rows thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
          table.rows tr{display:block;border-bottom:1px solid var(--line);padding:.4rem 0}
          table.rows td{display:block;border:0;padding:.15rem .25rem}
          table.rows td::before{content:attr(data-label) ": ";color:var(--muted);font-size:.8rem}
          td.date{white-space:normal}
          dl{grid-template-columns:1fr}
          input,select{min-width:0;width:100%}
          form label{width:100%}
        }
        """;

    private const string Script = """
        (function () {
          function localize(root) {
            root.querySelectorAll('time[datetime]').forEach(function (t) {
              var d = new Date(t.getAttribute('datetime'));
              if (!isNaN(d.getTime())) { t.textContent = d.toLocaleString(); }
            });
          }
          localize(document);
          var zone = '';
          try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ''; } catch (e) { }
          document.querySelectorAll('input[name=tz]').forEach(function (i) { if (!i.value && zone) { i.value = zone; } });
          var range = document.getElementById('filter-range');
          var custom = document.getElementById('custom-range');
          if (range && custom) {
            range.addEventListener('change', function () { custom.hidden = range.value !== 'custom'; });
          }
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
                var body = document.querySelector('table.rows tbody');
                doc.querySelectorAll('table.rows tbody tr.activity').forEach(function (row) {
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

    /// <summary>Opens the document and its <c>main</c> element, with the title as the first heading.</summary>
    public static StringBuilder Begin(string title, string language, string nonce, int capacity = 8192)
    {
        var html = new StringBuilder(capacity);
        html.Append("<!DOCTYPE html>\n<html lang=\"");
        Text(html, language);
        html.Append("\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<meta name=\"referrer\" content=\"same-origin\">\n<meta name=\"color-scheme\" content=\"light dark\">\n<title>");
        Text(html, title);
        html.Append("</title>\n<style nonce=\"").Append(nonce).Append("\">").Append(Style).Append("</style>\n</head>\n<body>\n<main>\n<h1>");
        Text(html, title);
        html.Append("</h1>\n");
        return html;
    }

    public static string End(StringBuilder html, string nonce)
    {
        html.Append("</main>\n<script nonce=\"").Append(nonce).Append("\">").Append(Script).Append("</script>\n</body>\n</html>\n");
        return html.ToString();
    }

    public static void Text(StringBuilder html, string? value) => html.Append(Encoder.Encode(value ?? ""));

    /// <summary>A link; <paramref name="href"/> is encoded as an attribute value.</summary>
    public static void Link(StringBuilder html, string href, string text, string? id = null, string? cssClass = null)
    {
        html.Append("<a href=\"");
        Text(html, href);
        html.Append('"');
        if (id is not null)
        {
            html.Append(" id=\"").Append(id).Append('"');
        }

        if (cssClass is not null)
        {
            html.Append(" class=\"").Append(cssClass).Append('"');
        }

        html.Append('>');
        Text(html, text);
        html.Append("</a>");
    }

    /// <summary>
    /// Opens a <c>table.rows</c> (rows stack on narrow screens) with its header row and body; close it with <see cref="TableEnd"/>.
    /// </summary>
    public static void TableStart(StringBuilder html, string id, string? labelledBy, params string[] headers)
    {
        html.Append("<table id=\"").Append(id).Append("\" class=\"rows\"");
        if (labelledBy is not null)
        {
            html.Append(" aria-labelledby=\"").Append(labelledBy).Append('"');
        }

        html.Append(">\n<thead><tr>");
        foreach (string header in headers)
        {
            html.Append("<th scope=\"col\">");
            Text(html, header);
            html.Append("</th>");
        }

        html.Append("</tr></thead>\n<tbody>\n");
    }

    public static void TableEnd(StringBuilder html) => html.Append("</tbody>\n</table>\n");

    /// <summary>
    /// Opens a body cell: <c>td</c>, or <c>th scope="row"</c> for a row header, with the column's label in
    /// <c>data-label</c> (shown before the value when rows stack). The caller writes the value and the closing tag.
    /// </summary>
    public static void Cell(StringBuilder html, string tag, string? cssClass, string label)
    {
        html.Append('<').Append(tag);
        if (tag == "th")
        {
            html.Append(" scope=\"row\"");
        }

        if (cssClass is not null)
        {
            html.Append(" class=\"").Append(cssClass).Append('"');
        }

        html.Append(" data-label=\"");
        Text(html, label);
        html.Append("\">");
    }

    /// <summary>The instant format of <c>time[datetime]</c> and of links to a point in time (UTC, to the tick).</summary>
    public const string InstantFormat = "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'";

    /// <summary>A <c>time</c> element: UTC in the text (the script shows it in the viewer's locale and zone).</summary>
    public static void Time(StringBuilder html, DateTimeOffset time)
    {
        var utc = time.UtcDateTime;
        html.Append("<time datetime=\"")
            .Append(utc.ToString(InstantFormat, System.Globalization.CultureInfo.InvariantCulture))
            .Append("\">")
            .Append(utc.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", System.Globalization.CultureInfo.InvariantCulture))
            .Append("</time>");
    }

    /// <summary>A fresh nonce for the page's inline style and script (the CSP allows nothing else).</summary>
    public static string NewNonce() => Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

    /// <summary>The page's Content-Security-Policy for a nonce.</summary>
    public static string ContentSecurityPolicy(string nonce) =>
        $"default-src 'none'; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; connect-src 'self'; img-src 'self'; " +
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    /// <summary>Writes a rendered document with the security headers.</summary>
    public static Task WriteAsync(HttpContext context, string html, string nonce)
    {
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy(nonce);
        headers["Referrer-Policy"] = "same-origin";
        headers.XFrameOptions = "DENY";
        context.Response.ContentType = "text/html; charset=utf-8";
        return context.Response.WriteAsync(html, Encoding.UTF8, context.RequestAborted);
    }
}
