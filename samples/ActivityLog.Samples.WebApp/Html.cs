using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Antiforgery;

namespace ActivityLog.Samples.WebApp;

/// <summary>
/// The sample's few server-rendered pages. Hand-written strings rather than Razor to keep the sample one small
/// project; every value from a user or the database goes through <see cref="Encode"/>.
/// </summary>
internal static class Html
{
    private const string Style = """
        body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 52rem; padding: 0 1rem; color: #222; }
        nav { display: flex; gap: 1rem; align-items: center; border-bottom: 1px solid #ddd; padding-bottom: .75rem; }
        nav form { margin-left: auto; }
        section { border: 1px solid #e3e3e3; border-radius: 6px; padding: .75rem 1rem; margin: .75rem 0; }
        h2 { font-size: 1rem; margin: 0 0 .5rem; }
        label { margin-right: .5rem; }
        .notice { background: #eef7ee; border: 1px solid #b9dcb9; padding: .5rem 1rem; border-radius: 6px; }
        .error { background: #fbeeee; border: 1px solid #e2b4b4; padding: .5rem 1rem; border-radius: 6px; }
        table { border-collapse: collapse; } td, th { border: 1px solid #ddd; padding: .25rem .5rem; text-align: left; }
        """;

    public static string Encode(string? value) => HtmlEncoder.Default.Encode(value ?? "");

    /// <summary>The hidden antiforgery field every POST form of the sample carries.</summary>
    public static string AntiforgeryField(IAntiforgery antiforgery, HttpContext http)
    {
        var tokens = antiforgery.GetAndStoreTokens(http);
        return $"""<input type="hidden" name="{Encode(tokens.FormFieldName)}" value="{Encode(tokens.RequestToken)}">""";
    }

    /// <summary>A full page: navigation (with the signed-in user and a sign-out button), then <paramref name="body"/>.</summary>
    public static IResult Page(HttpContext http, IAntiforgery antiforgery, string title, string body)
    {
        var user = DemoUsers.Current(http.User);
        var html = new StringBuilder()
            .Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .Append("<title>").Append(Encode(title)).Append("</title>")
            .Append("<style>").Append(Style).Append("</style></head><body><nav>")
            .Append("<a href=\"/\">Home</a><a href=\"/settings/activity-log\">Activity Log</a>")
            .Append("<a id=\"settings-webhooks\" href=\"/settings/webhooks\">Settings → Webhooks</a>");
        if (WebhookDemo.Enabled(http))
        {
            html.Append("<a href=\"/webhooks/received\">Webhooks received</a>");
        }

        if (user is null)
        {
            html.Append("<a id=\"sign-in-link\" href=\"/sign-in\">Sign in</a>");
        }
        else
        {
            html.Append("<form method=\"post\" action=\"/sign-out\">")
                .Append(AntiforgeryField(antiforgery, http))
                .Append("<span id=\"current-user\">").Append(Encode(user.Name)).Append(" · account ")
                .Append(Encode(user.AccountId)).Append("</span> ")
                .Append("<button id=\"sign-out\" type=\"submit\">Sign out</button></form>");
        }

        html.Append("</nav><main><h1>").Append(Encode(title)).Append("</h1>").Append(body).Append("</main></body></html>");
        return Results.Content(html.ToString(), "text/html; charset=utf-8");
    }
}
